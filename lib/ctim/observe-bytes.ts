// The observe answer's bytes, all of them: its entities written from templates derived from their
// CTIM schemas (lib/schemas/ctim.ts), the room an answer may take (ANSWER_MAX_BYTES, contract §3.2),
// the memory it is written into and the envelope around it. lib/ctim/bundle.ts says what the
// entities hold; lib/relay-answer.ts which answer to send; this module how it is written.
//
// Three devices stay here because an A/B on Node.js 24 (`npm run bench:ab`, 5 rounds, medians of
// the relay's CPU per call; docs/performance.md) measured their pay; the plain way of each is named:
// - Byte templates for sightings and their relationships, most of an answer's bytes: the plain way
//   (each entity an object, written by fast-json-stringify from its schema) cost 23 % more CPU per
//   call in W2 and 41 % in W4. Indicators, judgements and verdicts, a few per observable, are
//   written the plain way.
// - Lent answer memory with an envelope room: an answer is written into memory lent for it, given
//   back once it is sent (answerSent), with room before and after it for the envelope, so the
//   answer is sent without copying it again. Without them W4 took 73 % more CPU, W5 24 %.
// - writtenFor: what an observable's records give, remembered for records the answer cache keeps,
//   keyed on the kept records array. Without it W4 took 148 % more CPU.
import type { TObject, TSchema } from '@sinclair/typebox'
import fastJsonStringify from 'fast-json-stringify'
import type { C1fAppRecord } from '../c1fapp/record.js'
import type { Observable } from '../observables.js'
import {
  IndicatorSchema, JudgementSchema, ObservableSchema, ObservedRelationSchema, ObserveBundleSchema, RelationshipSchema, SightingSchema, VerdictSchema,
  type CtimObservable, type Indicator, type Judgement, type Relationship, type Verdict
} from '../schemas/ctim.js'
import { eachFeedRelation, eachRelation, RELATION_NAMES, RELATION_ORIGIN } from './relations.js'
import type { Confidence } from './vocabulary.js'

/** An observe bundle (lib/schemas/ctim.ts's ObserveBundle) as JSON, UTF-8 encoded: the answer's `data`. */
export type ObserveBundleJson = Buffer

// ——— The writer ———
// A JSON list's items written straight into UTF-8 bytes, piece by piece. Each written as a string
// first, sightings and their relationships were most of what a call allocated (a tree of pieces per
// item, flattened again to be encoded). Written here, an item's fixed text is copied from bytes
// encoded once, and C1fApp's strings are escaped as they are copied.

const COMMA = 0x2c
const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_LIST = 0x5b
const CLOSE_LIST = 0x5d
const START_BYTES = 64 * 1024
/** a writer one large answer grew past this lets that memory go when it starts again */
const WRITER_KEPT_BYTES = 8 * 1024 * 1024

/** JSON's short escapes of control characters, by character code */
const SHORT_ESCAPES: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 }
const HEX = '0123456789abcdef'

export class JsonBytes {
  bytes = Buffer.allocUnsafe(START_BYTES)
  length = 0
  /** the items written */
  count = 0

  /** one more item: the comma before it, when it is not the first */
  next (): void {
    if (this.count++ > 0) this.byte(COMMA)
  }

  /** one byte (an ASCII character) */
  byte (code: number): void {
    this.room(1)
    this.bytes[this.length++] = code
  }

  /** bytes as they are: JSON text encoded once */
  raw (bytes: Buffer): void {
    this.room(bytes.length)
    this.bytes.set(bytes, this.length)
    this.length += bytes.length
  }

  /** text known to be ASCII with nothing to escape: ids, dates, CTIM's words */
  ascii (text: string): void {
    this.room(text.length)
    for (let i = 0; i < text.length; i++) this.bytes[this.length + i] = text.charCodeAt(i)
    this.length += text.length
  }

  /** JSON text as it is, UTF-8 encoded */
  json (text: string): void {
    this.room(text.length * 3)
    this.length += this.bytes.write(text, this.length)
  }

  /** any text as a JSON string: exactly the bytes of JSON.stringify(text), UTF-8 encoded */
  quoted (text: string): void {
    // at most six bytes a UTF-16 unit (\u00XX, or \uDXXX for a lone surrogate), and the quotes
    this.room(text.length * 6 + 2)
    const start = this.length
    const bytes = this.bytes
    let at = start
    bytes[at++] = QUOTE
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i)
      if (code >= 0x20 && code < 0x80 && code !== QUOTE && code !== BACKSLASH) {
        bytes[at++] = code
      } else if (code >= 0x80) {
        // beyond ASCII (UTF-8, surrogate pairs, lone surrogates): JSON.stringify and the encoder
        this.length = start + bytes.write(JSON.stringify(text), start)
        return
      } else {
        bytes[at++] = BACKSLASH
        const short = code === QUOTE || code === BACKSLASH ? code : SHORT_ESCAPES[code]
        if (short !== undefined) {
          bytes[at++] = short
        } else {
          bytes[at++] = 0x75 // u00XX
          bytes[at++] = 0x30
          bytes[at++] = 0x30
          bytes[at++] = HEX.charCodeAt(code >> 4)
          bytes[at++] = HEX.charCodeAt(code & 0xf)
        }
      }
    }
    bytes[at++] = QUOTE
    this.length = at
  }

  /** `count` more items, written before as `bytes` */
  items (bytes: Buffer, count: number): void {
    if (count === 0) return
    if (this.count > 0) this.byte(COMMA)
    this.raw(bytes)
    this.count += count
  }

  /** the bytes `items(bytes, count)` would add */
  itemsBytes (bytes: Buffer, count: number): number {
    return count === 0 ? 0 : bytes.length + (this.count > 0 ? 1 : 0)
  }

  /** what was written: a view, valid until the next `start` */
  written (): Buffer {
    return this.bytes.subarray(0, this.length)
  }

  /** empty again */
  start (): void {
    if (this.bytes.length > WRITER_KEPT_BYTES) this.bytes = Buffer.allocUnsafe(START_BYTES)
    this.length = 0
    this.count = 0
  }

  private room (more: number): void {
    if (this.length + more <= this.bytes.length) return
    const grown = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.length + more))
    this.bytes.copy(grown, 0, 0, this.length)
    this.bytes = grown
  }
}

// ——— Templates derived from the schemas ———

/**
 * How a template writes one property's value from what it is given (`C`); the property's key, the
 * schema's literals and the punctuation are the template's fixed text.
 */
export type Writer<C> =
  /** a string whose characters need no escaping (ids, dates, CTIM's words), written between the template's quotes */
  | { ascii: (out: JsonBytes, doc: C) => void }
  /** any string, escaped as JSON.stringify escapes it */
  | { text: (doc: C) => string }
  /** the whole JSON value (a number, a list) */
  | { json: (out: JsonBytes, doc: C) => void }
  /** the one value the relay writes where the schema would take others: fixed text */
  | { constant: string }
  /** a nested object of the schema, its template derived the same way */
  | { object: Writers<C> }
  /** an optional string property: left out when undefined */
  | { optionalText: (doc: C) => string | undefined }

export type Writers<C> = Record<string, Writer<C>>

type Step<C> = (out: JsonBytes, doc: C) => void

/**
 * The template of an entity: its properties in the order its schema's fast-json-stringify
 * serialiser writes them (the required ones, then the optional ones, each in the schema's order),
 * a `Type.Literal`'s value as fixed text, every other property written by its writer. Throws when
 * a property of the schema has no writer, or a writer no property: a new field of the schema is a
 * writer to add, never bytes in the wrong order.
 */
export function template<C> (schema: TObject, writers: Writers<C>): (out: JsonBytes, doc: C) => void {
  const steps: Array<Step<C> | Buffer> = []
  let fixed = ''
  const flush = (): void => {
    if (fixed === '') return
    steps.push(Buffer.from(fixed))
    fixed = ''
  }
  const object = (schema: TObject, writers: Writers<C>, name: string): void => {
    const properties = schema.properties as Record<string, TSchema>
    for (const key of Object.keys(writers)) {
      if (!(key in properties)) throw new Error(`${name}: a writer for ${key}, which the schema does not have`)
    }
    const required = new Set(schema.required ?? [])
    const keys = Object.keys(properties)
    const ordered = [...keys.filter(key => required.has(key)), ...keys.filter(key => !required.has(key))]
    fixed += '{'
    ordered.forEach((key, i) => {
      const property = properties[key]
      const writer = writers[key] as Writer<C> | undefined
      const label = `${i === 0 ? '' : ','}${JSON.stringify(key)}:`
      if ('const' in property) {
        if (writer !== undefined) throw new Error(`${name}.${key}: a literal of the schema needs no writer`)
        fixed += label + JSON.stringify(property.const)
        return
      }
      if (writer === undefined) throw new Error(`${name}.${key}: no writer for this property of the schema`)
      if (!required.has(key)) {
        // past the first property (a required one), so its comma is known
        if (!('optionalText' in writer) || i === 0) throw new Error(`${name}.${key}: an optional property needs an optionalText writer, after a required property`)
        flush()
        const labelBytes = Buffer.from(label)
        steps.push((out, doc) => {
          const text = writer.optionalText(doc)
          if (text === undefined) return
          out.raw(labelBytes)
          out.quoted(text)
        })
        return
      }
      fixed += label
      if ('ascii' in writer) {
        fixed += '"'
        flush()
        steps.push(writer.ascii)
        fixed += '"'
      } else if ('text' in writer) {
        flush()
        steps.push((out, doc) => out.quoted(writer.text(doc)))
      } else if ('json' in writer) {
        flush()
        steps.push(writer.json)
      } else if ('constant' in writer) {
        fixed += JSON.stringify(writer.constant)
      } else if ('object' in writer) {
        object(property as TObject, writer.object, `${name}.${key}`)
      } else {
        throw new Error(`${name}.${key}: a required property cannot be left out`)
      }
    })
    fixed += '}'
  }
  object(schema, writers, schema.title ?? 'entity')
  flush()
  return (out, doc) => {
    for (const step of steps) {
      if (Buffer.isBuffer(step)) out.raw(step)
      else step(out, doc)
    }
  }
}

/** An entity the plain way: the JSON text of its schema's fast-json-stringify serialiser, compiled on first use. */
function serializer<T> (schema: TSchema): (doc: T) => string {
  let compiled: ((doc: T) => string) | undefined
  return doc => (compiled ??= fastJsonStringify(schema) as (doc: T) => string)(doc)
}

const indicatorJson = serializer<Indicator>(IndicatorSchema)
const judgementJson = serializer<Judgement>(JudgementSchema)
const verdictJson = serializer<Verdict>(VerdictSchema)

const writeObservableJson = template<CtimObservable>(ObservableSchema, {
  type: { ascii: (out, { type }) => out.ascii(type) },
  value: { text: ({ value }) => value }
})

const observableOut = new JsonBytes()

/** An observable as JSON bytes: the requested one, written once and copied into each of its sightings and relations. */
export function observableBytes (observable: Observable): Buffer {
  observableOut.start()
  writeObservableJson(observableOut, observable)
  return Buffer.from(observableOut.written())
}

/** One observed relation of a sighting: `value` of `type` is `related` to the observable (`source` when `selfIsRelated`). */
interface RelationFacts extends CtimObservable {
  selfIsRelated: boolean
  /** the requested observable's observableBytes */
  self: Buffer
}

/** A template per relation name (lib/ctim/relations.ts gives no other): the name is fixed text too. */
const writeRelation = Object.fromEntries(RELATION_NAMES.map(name => [name, template<RelationFacts>(ObservedRelationSchema, {
  origin: { constant: RELATION_ORIGIN },
  relation: { constant: name },
  source: { json: (out, relation) => relation.selfIsRelated ? writeObservableJson(out, relation) : out.raw(relation.self) },
  related: { json: (out, relation) => relation.selfIsRelated ? out.raw(relation.self) : writeObservableJson(out, relation) }
})]))

/** What a sighting is written from (lib/ctim/bundle.ts works it out). */
export interface SightingFacts {
  id: string
  confidence: Confidence
  description: string
  observable: Observable
  /** the observable's observableBytes */
  self: Buffer
  /** one feed's records, newest first: one for an `each` sighting, all the feed's for a `per-feed` one (contract §3.3) */
  records: C1fAppRecord[]
  perFeed: boolean
  sourceUri: string | undefined
}

const DAY_START = Buffer.from('T00:00:00.000Z')
const DAY_END = Buffer.from('T23:59:59.999Z')

/** The sighting's observed relations as JSON list items: the record's, or the union of the feed's records' when per feed. */
function writeRelations (out: JsonBytes, { observable, self, records, perFeed }: SightingFacts): void {
  out.byte(OPEN_LIST)
  let first = true
  // one object for every relation of the sighting: each is written before the next is given
  const facts: RelationFacts = { type: '', value: '', selfIsRelated: false, self }
  const relation = (name: string, type: string, value: string, selfIsRelated: boolean): void => {
    if (!first) out.byte(COMMA)
    first = false
    facts.type = type
    facts.value = value
    facts.selfIsRelated = selfIsRelated
    writeRelation[name](out, facts)
  }
  if (perFeed) eachFeedRelation(observable, records, relation)
  else eachRelation(observable, records[0], relation)
  out.byte(CLOSE_LIST)
}

export const SIGHTING_WRITERS: Writers<SightingFacts> = {
  id: { ascii: (out, { id }) => out.ascii(id) },
  source: { constant: 'C1fApp' },
  confidence: { ascii: (out, { confidence }) => out.ascii(confidence) },
  count: { json: (out, { records }) => out.ascii(String(records.length)) },
  description: { text: ({ description }) => description },
  observables: {
    json: (out, { self }) => {
      out.byte(OPEN_LIST)
      out.raw(self)
      out.byte(CLOSE_LIST)
    }
  },
  observed_time: {
    object: {
      start_time: {
        ascii: (out, { records }) => {
          out.ascii(records[records.length - 1].reportime)
          out.raw(DAY_START)
        }
      },
      // a per-feed sighting lasts to the end of its newest record's day
      end_time: {
        ascii: (out, { records, perFeed }) => {
          out.ascii(records[0].reportime)
          out.raw(perFeed ? DAY_END : DAY_START)
        }
      }
    }
  },
  relations: { json: writeRelations },
  source_uri: { optionalText: ({ sourceUri }) => sourceUri }
}
const writeSightingJson = template(SightingSchema, SIGHTING_WRITERS)

/** What a relationship is written from: its properties, but for the schema's literals. */
export type RelationshipFacts = Omit<Relationship, 'type' | 'schema_version'>

export const RELATIONSHIP_WRITERS: Writers<RelationshipFacts> = {
  id: { ascii: (out, { id }) => out.ascii(id) },
  relationship_type: { ascii: (out, relationship) => out.ascii(relationship.relationship_type) },
  source_ref: { ascii: (out, relationship) => out.ascii(relationship.source_ref) },
  target_ref: { ascii: (out, relationship) => out.ascii(relationship.target_ref) }
}
const writeRelationshipJson = template(RelationshipSchema, RELATIONSHIP_WRITERS)

// ——— The bundle being written, and its room ———
// Writing an answer is synchronous from start to end, so one set of lists serves every call.

const sightingsOut = new JsonBytes()
const memberOfOut = new JsonBytes()
const indicatorsOut = new JsonBytes()
const judgementsOut = new JsonBytes()
const verdictsOut = new JsonBytes()
const keptSightings = new JsonBytes()
const keptMemberOf = new JsonBytes()
/** where sightings and their member-of relationships go: the bundle's lists, or the kept ones while writtenFor's are written */
let sightingsTo = sightingsOut
let memberOfTo = memberOfOut
let room = Infinity

/**
 * The bundle's lists in the order of its schema's properties (all optional, so the order its
 * serialiser writes them in); throws when a property of the schema has no list.
 */
export function bundleLists (schema: TObject, lists: Record<string, JsonBytes>): Array<[name: string, list: JsonBytes]> {
  return Object.keys(schema.properties).map(name => {
    const list = lists[name]
    if (list === undefined) throw new Error(`the bundle's ${name}: no list written for it`)
    return [name, list]
  })
}

const LISTS = bundleLists(ObserveBundleSchema, { sightings: sightingsOut, indicators: indicatorsOut, judgements: judgementsOut, verdicts: verdictsOut, relationships: memberOfOut })

/** The bytes the bundle being written holds so far: all of them are in it, so the bundle is larger still. */
export function heldBytes (): number {
  const kept = sightingsTo === sightingsOut ? 0 : keptSightings.length + keptMemberOf.length
  return sightingsOut.length + memberOfOut.length + indicatorsOut.length + judgementsOut.length + verdictsOut.length + kept
}

/**
 * A bundle starts: it may take `bundleRoom` bytes. Each entity is measured as it is written, and
 * a write answers false as soon as the bundle passes its room, so that a bundle that cannot fit
 * costs no more than `room` and the one entity that passed it.
 */
export function startBundle (bundleRoom: number): void {
  for (const [, list] of LISTS) list.start()
  room = bundleRoom
}

const within = (): boolean => heldBytes() <= room

/** A sighting and its member-of relationship; false once past the room. */
export function writeSighting (sighting: SightingFacts, memberOf: RelationshipFacts): boolean {
  sightingsTo.next()
  writeSightingJson(sightingsTo, sighting)
  if (!within()) return false
  memberOfTo.next()
  writeRelationshipJson(memberOfTo, memberOf)
  return within()
}

/** A relationship past the sightings' member-of ones (a judgement's element-of); false once past the room. */
export function writeRelationship (relationship: RelationshipFacts): boolean {
  memberOfOut.next()
  writeRelationshipJson(memberOfOut, relationship)
  return within()
}

function writePlain<T> (list: JsonBytes, json: (doc: T) => string, doc: T): boolean {
  list.next()
  list.json(json(doc))
  return within()
}

export const writeIndicator = (indicator: Indicator): boolean => writePlain(indicatorsOut, indicatorJson, indicator)
export const writeJudgement = (judgement: Judgement): boolean => writePlain(judgementsOut, judgementJson, judgement)
export const writeVerdict = (verdict: Verdict): boolean => writePlain(verdictsOut, verdictJson, verdict)

/** An observable's sightings and their member-of relationships, as JSON list items. */
interface Written {
  count: number
  sightings: Buffer
  memberOf: Buffer
}

/**
 * What an observable's first `limit` records give whatever the call, remembered for records the
 * answer cache keeps (clients/answer-cache.ts), by their array and what else decides the sightings
 * (`key`): a call answered from it writes only what depends on the call (judgements, verdicts,
 * indicators) and copies the rest. The ids written are unique within any answer, where an
 * observable comes once, and the same in every answer that reuses them.
 */
const writtenFor = new WeakMap<C1fAppRecord[], Map<string, Written>>()

/**
 * An observable's sightings, written by `write` (with writeSighting), or, for records the answer
 * cache keeps (`kept`), remembered from the first call that wrote them; false once past the room
 * (what did not fit is not remembered).
 */
export function writeObservableSightings (kept: { records: C1fAppRecord[], key: string } | undefined, write: () => boolean): boolean {
  if (kept === undefined) return write()
  let known = writtenFor.get(kept.records)?.get(kept.key)
  if (known === undefined) {
    keptSightings.start()
    keptMemberOf.start()
    sightingsTo = keptSightings
    memberOfTo = keptMemberOf
    let fits: boolean
    try {
      fits = write()
    } finally {
      sightingsTo = sightingsOut
      memberOfTo = memberOfOut
    }
    if (!fits) return false
    // copies: the kept lists serve the next observable
    known = { count: keptSightings.count, sightings: Buffer.from(keptSightings.written()), memberOf: Buffer.from(keptMemberOf.written()) }
    let byKey = writtenFor.get(kept.records)
    if (byKey === undefined) writtenFor.set(kept.records, byKey = new Map())
    byKey.set(kept.key, known)
  }
  if (heldBytes() + sightingsOut.itemsBytes(known.sightings, known.count) + memberOfOut.itemsBytes(known.memberOf, known.count) > room) return false
  sightingsOut.items(known.sightings, known.count)
  memberOfOut.items(known.memberOf, known.count)
  return true
}

const NO_BUNDLE: ObserveBundleJson = Buffer.from('{}')

/**
 * The bundle written since startBundle, or undefined when it is larger than its room: its non-empty
 * lists, `{}` without sightings (every other entity comes from a sighting's records). Written into
 * memory lent for it, with its envelope room: whoever sends it calls answerSent.
 */
export function bundleWritten (): ObserveBundleJson | undefined {
  if (sightingsOut.count === 0) return NO_BUNDLE
  const parts: Buffer[] = []
  for (const [name, list] of LISTS) {
    if (list.count === 0) continue
    parts.push(Buffer.from(`${parts.length === 0 ? '{' : ']},'}"${name}":{"count":${list.count},"docs":[`), list.written())
  }
  parts.push(Buffer.from(']}}'))
  const size = parts.reduce((sum, part) => sum + part.length, 0)
  if (size > room) return undefined
  const out = lend(DATA.length + size + 1)
  let at = DATA.length
  for (const part of parts) at += part.copy(out, at)
  const bundle = out.subarray(DATA.length, at)
  withEnvelopeRoom.add(bundle)
  return bundle
}

// ——— The envelope ———

const DATA = Buffer.from('{"data":')
const CLOSE = 0x7d

/** The room a bundle has in an answer of at most `maxBytes` bytes that ends with `end` (observeAnswerBytes). */
export function bundleRoom (maxBytes: number, end: string): number {
  return maxBytes - DATA.length - Buffer.byteLength(end)
}

/**
 * Bundles with room before and after them, for the envelope around them when the answer has nothing
 * else to say (`{"data":` and `}`): the answer is then sent without copying the bundle once more.
 */
const withEnvelopeRoom = new WeakSet<Buffer>()

/** Observe's answer: `{"data":`, the bundle and `end` (the errors, if any, and the envelope's close). */
export function observeAnswerBytes (bundle: ObserveBundleJson, end: string): Buffer {
  if (end !== '}' || !withEnvelopeRoom.has(bundle)) return Buffer.concat([DATA, bundle, Buffer.from(end)])
  // written in place, around the bundle: the same bytes every time
  const answer = Buffer.from(bundle.buffer, bundle.byteOffset - DATA.length, DATA.length + bundle.length + 1)
  DATA.copy(answer)
  answer[answer.length - 1] = CLOSE
  return answer
}

// ——— The lent memory ———
// Allocated per call, an answer's bytes were freed only when a collection found their Buffer dead:
// under load a dozen 1 MB answers waited for one, and every answer was written on fresh pages.

/** Smaller answers come from Node's own pool or a small allocation: not worth keeping. */
export const LENT_FROM = 16 * 1024
/** At most this many bytes wait to be lent again; an answer given back past them is let go. */
export const KEPT_BYTES = 8 * 1024 * 1024

/** free memory, smallest first */
const free: ArrayBuffer[] = []
let freeBytes = 0
/** what is lent and not yet given back: a Buffer never given back (a call cut short) is simply collected */
const lent = new WeakSet<ArrayBuffer>()

/** `size` bytes to write an answer into, lent until answerSent; their content is not cleared. */
export function lend (size: number): Buffer {
  if (size < LENT_FROM) return Buffer.allocUnsafe(size)
  const at = free.findIndex(memory => memory.byteLength >= size)
  let memory: ArrayBuffer
  if (at === -1) {
    // a power of two, so that an answer a little larger than the last still fits; past KEPT_BYTES
    // the memory is never kept, so no more than asked
    memory = Buffer.allocUnsafeSlow(size > KEPT_BYTES ? size : 2 ** Math.ceil(Math.log2(size))).buffer as ArrayBuffer
  } else {
    memory = free.splice(at, 1)[0]
    freeBytes -= memory.byteLength
  }
  lent.add(memory)
  return Buffer.from(memory, 0, size)
}

/**
 * The answer holding `bytes` (a bundle, or any view of memory `lend` gave) is sent, or will not be
 * (a try that did not fit, a bundle read back): its memory serves the next answer. Nothing may read
 * it after this; bytes `lend` did not give, or given back already, are ignored.
 */
export function answerSent (bytes: Buffer): void {
  const memory = bytes.buffer as ArrayBuffer
  if (!lent.delete(memory)) return
  if (freeBytes + memory.byteLength > KEPT_BYTES) return
  let at = 0
  while (at < free.length && free[at].byteLength < memory.byteLength) at++
  free.splice(at, 0, memory)
  freeBytes += memory.byteLength
}

/** bytes waiting to be lent again (for the tests) */
export function keptBytes (): number {
  return freeBytes
}
