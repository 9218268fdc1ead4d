// C1fApp records → the CTIM observe bundle (contract §3). Data in, data out: no I/O, no clock.
import { randomUUID } from 'node:crypto'
import { v5 as uuidv5 } from 'uuid'
import { readRecords, type C1fAppRecord, type RecordsRead } from '../c1fapp/record.js'
import type { Observable } from '../observables.js'
import { RelayError } from '../relay-error.js'
import { giveBack, lend } from './answer-buffers.js'
import { judgementsOf, verdictOf, type Judging } from './judgements.js'
import { fitText, fitUri, MAX_DESCRIPTION, MAX_SHORT_DESCRIPTION, MAX_TAG, MAX_TITLE } from './limits.js'
import { JsonBytes } from './json-bytes.js'
import { observableBytes, relationsCutWarning, writeFeedRelations, writeObservedRelations } from './relations.js'
import { CTIM_SCHEMA_VERSION, type Confidence } from './vocabulary.js'
import { DEFAULT_SIGHTINGS, type SightingsMode } from '../sightings-mode.js'
import type { DeliberateBundle, Indicator, ObserveBundle, Relationship, Verdict } from '../schemas/ctim.js'

/** Name-based (v5) UUIDs under this namespace give every feed the same indicator id in every answer. */
const FEED_NAMESPACE = '5b0f2e59-3c5e-4d6b-9f0a-c1fa99000001'

/** indicatorId remembers this many feeds' ids, then starts again: feed names come from C1fApp, unbounded. */
export const INDICATOR_IDS_KEPT = 10_000
const indicatorIds = new Map<string, string>()

export function indicatorId (feed: string): string {
  // A name-based id is a SHA-1: once per feed, not once per record or call (at 1 000 records it
  // was a third of the mapping's time, and a tenth of a one-observable call's).
  const known = indicatorIds.get(feed)
  if (known !== undefined) return known
  if (indicatorIds.size >= INDICATOR_IDS_KEPT) indicatorIds.clear()
  // Hashed as UTF-8 bytes, which is what uuid does with a string, except that uuid throws on a
  // lone surrogate (C1fApp's text is not always well formed) where the encoder writes U+FFFD.
  const id = `transient:indicator-${uuidv5(new TextEncoder().encode(feed), FEED_NAMESPACE)}`
  indicatorIds.set(feed, id)
  return id
}

/**
 * The transient ids of one answer (`transient:<kind>-<uuid>`): one random UUID, whose last 32 bits
 * then count up from where they stand. Unique within the answer (they only link its entities) and,
 * some 90 random bits apart, across answers; a random UUID per entity was a crypto call and a string each.
 */
function transientIds (): (kind: string) => string {
  const uuid = randomUUID()
  const prefix = uuid.slice(0, 28)
  let node = Number.parseInt(uuid.slice(28), 16)
  return kind => {
    node = (node + 1) >>> 0
    return `transient:${kind}-${prefix}${node.toString(16).padStart(8, '0')}`
  }
}

// A sighting's fixed text, encoded once, around what its records give (writeSighting).
const SIGHTING_ID = Buffer.from('{"id":"')
const SIGHTING_CONFIDENCE = Buffer.from(`","type":"sighting","schema_version":"${CTIM_SCHEMA_VERSION}","source":"C1fApp","confidence":"`)
const SIGHTING_COUNT = Buffer.from('","count":')
const SIGHTING_DESCRIPTION = Buffer.from(',"description":')
const SIGHTING_OBSERVABLES = Buffer.from(',"observables":[')
const SIGHTING_START_TIME = Buffer.from('],"observed_time":{"start_time":"')
const SIGHTING_END_TIME = Buffer.from('T00:00:00.000Z","end_time":"')
/** the end of a record's day: a per-feed sighting lasts to the end of its newest record's */
const SIGHTING_DAY_END = Buffer.from('T23:59:59.999Z')
const SIGHTING_RELATIONS = Buffer.from('T00:00:00.000Z"},"relations":[')
const SIGHTING_RELATIONS_AFTER_DAY_END = Buffer.from('"},"relations":[')
const SIGHTING_SOURCE_URI = Buffer.from('],"source_uri":')
const CLOSE_LIST = 0x5d
const CLOSE = 0x7d

const CONFIDENCE_ORDER: Record<Confidence, number> = { Unknown: 0, Low: 1, Medium: 2, High: 3 }

/** `Seen on C1fApp feed <label>` for one record, `Seen <count> times on C1fApp feed <label>` for more (contract §3, §3.3). */
export function sightingDescription (feed: string, count: number): string {
  return fitText(`Seen ${count === 1 ? '' : `${count} times `}on C1fApp feed ${feed}`, MAX_DESCRIPTION)
}

/**
 * A sighting of one feed's records (newest `reportime` first, all of one feed), written at once as
 * the JSON that JSON.stringify writes of the schema's Sighting: its properties in the schema's
 * order, every string from C1fApp escaped as JSON.stringify escapes it; the id, the dates, the count
 * and the confidence need no escaping. `self` is the observable's `observableBytes`. One record is a
 * sighting of `each` mode; several are a `per-feed` sighting (contract §3.3): counted, from the
 * oldest day's start to the newest day's end, at the highest confidence, with the newest record's
 * source_uri and the union of the records' relations.
 */
function writeSighting (out: JsonBytes, id: string, observable: Observable, self: Buffer, records: C1fAppRecord[], perFeed: boolean): void {
  const newest = records[0]
  let confidence = newest.confidence
  for (const { confidence: other } of records) if (CONFIDENCE_ORDER[other] > CONFIDENCE_ORDER[confidence]) confidence = other
  out.next()
  out.raw(SIGHTING_ID)
  out.ascii(id)
  out.raw(SIGHTING_CONFIDENCE)
  out.ascii(confidence)
  out.raw(SIGHTING_COUNT)
  out.ascii(String(records.length))
  out.raw(SIGHTING_DESCRIPTION)
  out.quoted(sightingDescription(newest.feed, records.length))
  out.raw(SIGHTING_OBSERVABLES)
  out.raw(self)
  out.raw(SIGHTING_START_TIME)
  out.ascii(records[records.length - 1].reportime)
  out.raw(SIGHTING_END_TIME)
  out.ascii(newest.reportime)
  if (perFeed) {
    out.raw(SIGHTING_DAY_END)
    out.raw(SIGHTING_RELATIONS_AFTER_DAY_END)
    writeFeedRelations(out, observable, self, records)
  } else {
    out.raw(SIGHTING_RELATIONS)
    writeObservedRelations(out, observable, self, newest)
  }
  const sourceUri = fitUri(newest.sourceUri)
  if (sourceUri === undefined) {
    out.byte(CLOSE_LIST)
  } else {
    out.raw(SIGHTING_SOURCE_URI)
    out.quoted(sourceUri)
  }
  out.byte(CLOSE)
}

export function indicator (record: C1fAppRecord): Indicator {
  return {
    id: indicatorId(record.feed),
    type: 'indicator',
    schema_version: CTIM_SCHEMA_VERSION,
    producer: 'C1fApp',
    title: fitText(`Feed: ${record.feed}`, MAX_TITLE),
    short_description: fitText(record.feed, MAX_SHORT_DESCRIPTION),
    tags: record.assessment.map(tag => fitText(tag, MAX_TAG)),
    confidence: record.confidence,
    tlp: 'white',
    valid_time: {}
  }
}

const RELATIONSHIP_ID = Buffer.from('{"id":"')
const RELATIONSHIP_TYPE = Buffer.from(`","type":"relationship","schema_version":"${CTIM_SCHEMA_VERSION}","relationship_type":"`)
const RELATIONSHIP_SOURCE = Buffer.from('","source_ref":"')
const RELATIONSHIP_TARGET = Buffer.from('","target_ref":"')
const RELATIONSHIP_END = Buffer.from('"}')

/** A relationship (writeSighting's way): one per sighting and per judgement, between transient or indicator ids. */
function writeRelationship (out: JsonBytes, id: string, sourceRef: string, indicatorRef: string, relationshipType: Relationship['relationship_type']): void {
  out.next()
  out.raw(RELATIONSHIP_ID)
  out.ascii(id)
  out.raw(RELATIONSHIP_TYPE)
  out.ascii(relationshipType)
  out.raw(RELATIONSHIP_SOURCE)
  out.ascii(sourceRef)
  out.raw(RELATIONSHIP_TARGET)
  out.ascii(indicatorRef)
  out.raw(RELATIONSHIP_END)
}

export interface ObservableRecords {
  observable: Observable
  /** C1fApp's answer for the observable, as received */
  records: unknown[]
}

export interface ObservableRecordsRead {
  observable: Observable
  answer: RecordsRead
}

export interface MappedBundle {
  /** the bundle's JSON text, read back */
  bundle: ObserveBundle
  /** per observable, one `key error` warning for unusable records and one for IPs or domains left out */
  warnings: RelayError[]
}

/** An observable's usable records, newest `reportime` first (stable). */
export interface ReadRecords {
  observable: Observable
  records: C1fAppRecord[]
  /** the answer cache keeps these records for further calls (RecordsRead's `kept`) */
  kept: boolean
}

/** An observable's first `limit` records by feed, in the order of each feed's newest record; each feed's records newest first. */
export function recordsByFeed (records: C1fAppRecord[], limit: number): Map<string, C1fAppRecord[]> {
  const feeds = new Map<string, C1fAppRecord[]>()
  for (let i = 0; i < Math.min(limit, records.length); i++) {
    const record = records[i]
    const feed = feeds.get(record.feed)
    if (feed === undefined) feeds.set(record.feed, [record])
    else feed.push(record)
  }
  return feeds
}

export interface ReadAnswers {
  read: ReadRecords[]
  /** one `key error` warning per observable that had unusable records */
  warnings: RelayError[]
}

function describe ({ type, value }: Observable): string {
  return `${type} ${JSON.stringify(value)}`
}

/**
 * C1fApp's answers, read (lib/c1fapp/record.ts's readRecords), with the warnings of what could not
 * be used: unusable records, and IPs or domains past the caps among the first `limit` records (and,
 * with `per-feed` sightings, past the caps of each feed's union).
 */
export function readAnswers (answers: ObservableRecordsRead[], limit: number, sightings: SightingsMode = DEFAULT_SIGHTINGS): ReadAnswers {
  const warnings: RelayError[] = []
  const read = answers.map(({ observable, answer: { records, received, kept } }) => {
    const skipped = received - records.length
    if (skipped > 0) {
      warnings.push(new RelayError('key error',
        `Skipped ${skipped} of ${received} C1fApp records for ${describe(observable)}: ` +
        'each record needs a reportime date (YYYY-MM-DD) and a non-empty feed_label.', 'warning'))
    }
    const used = records.slice(0, limit)
    const cut = relationsCutWarning(observable, used, sightings === 'per-feed' ? recordsByFeed(used, limit).values() : undefined)
    if (cut !== undefined) warnings.push(cut)
    return { observable, records, kept }
  })
  return { read, warnings }
}

/** An observe bundle (lib/schemas/ctim.ts's ObserveBundle) as JSON, UTF-8 encoded: the answer's `data`. */
export type ObserveBundleJson = Buffer

// Writing an answer is synchronous from start to end, so one set of writers serves every call.
const sightingsOut = new JsonBytes()
const memberOfOut = new JsonBytes()
const keptSightings = new JsonBytes()
const keptMemberOf = new JsonBytes()

/** An observable's sightings and their member-of relationships, as JSON list items. */
interface Written {
  count: number
  sightings: Buffer
  memberOf: Buffer
}

/**
 * What an observable's first `limit` records give whatever the call, remembered for records the
 * answer cache keeps (clients/answer-cache.ts): a call answered from it writes only what depends on
 * the call (judgements, verdicts, indicators) and assembles the rest. The ids written are unique
 * within any answer, where an observable comes once, and the same in every answer that reuses them.
 */
const writtenFor = new WeakMap<C1fAppRecord[], Map<string, Written>>()

/** writeSighting's records of an `each` sighting: one, written synchronously, so one list serves every record. */
const oneRecord: C1fAppRecord[] = []

/**
 * An observable's sightings and member-of relationships, from its first `limit` records (one per
 * record, or per feed), or false as soon as the two writers hold more than `room` bytes (an answer
 * that cannot fit is not written whole).
 */
function writeSightings (observable: Observable, records: C1fAppRecord[], limit: number, sightings: JsonBytes, memberOf: JsonBytes, mode: SightingsMode, room: number): boolean {
  const ids = transientIds()
  const self = observableBytes(observable.type, observable.value)
  if (mode === 'per-feed') {
    for (const [feed, feedRecords] of recordsByFeed(records, limit)) {
      const id = ids('sighting')
      writeSighting(sightings, id, observable, self, feedRecords, true)
      writeRelationship(memberOf, ids('relationship'), id, indicatorId(feed), 'member-of')
      if (sightings.length + memberOf.length > room) return false
    }
    return true
  }
  for (let i = 0; i < Math.min(limit, records.length); i++) {
    const record = records[i]
    const id = ids('sighting')
    oneRecord[0] = record
    writeSighting(sightings, id, observable, self, oneRecord, false)
    writeRelationship(memberOf, ids('relationship'), id, indicatorId(record.feed), 'member-of')
    if (sightings.length + memberOf.length > room) return false
  }
  return true
}

/**
 * The answer's sightings and member-of relationships of one observable, written or, for kept
 * records, reused; false as soon as the answer's writers hold more than `room` bytes.
 */
function writeObservable ({ observable, records, kept }: ReadRecords, limit: number, mode: SightingsMode, room: number): boolean {
  if (!kept) return writeSightings(observable, records, limit, sightingsOut, memberOfOut, mode, room)
  // the same records serve both modes (the cache keeps records, not the mapping): the mode is part of the key
  const key = `${observable.type}\u0000${limit}\u0000${mode}\u0000${observable.value}`
  let known = writtenFor.get(records)?.get(key)
  if (known === undefined) {
    keptSightings.start()
    keptMemberOf.start()
    if (!writeSightings(observable, records, limit, keptSightings, keptMemberOf, mode, room - sightingsOut.length - memberOfOut.length)) return false
    // copies: the writers serve the next observable
    known = { count: keptSightings.count, sightings: Buffer.from(keptSightings.written()), memberOf: Buffer.from(keptMemberOf.written()) }
    let byObservable = writtenFor.get(records)
    if (byObservable === undefined) writtenFor.set(records, byObservable = new Map())
    byObservable.set(key, known)
  }
  sightingsOut.items(known.sightings, known.count)
  memberOfOut.items(known.memberOf, known.count)
  return sightingsOut.length + memberOfOut.length <= room
}

/** `"name":{"count":…,"docs":[…]}` */
function listJson (name: string, count: number, docs: string): string {
  return `"${name}":{"count":${count},"docs":[${docs}]}`
}

const NO_BUNDLE: ObserveBundleJson = Buffer.from('{}')

/** What the call asks of the observe mapping: its judgements' time, and C1FAPP_SIGHTINGS (`each` when absent). */
export interface Mapping extends Judging {
  sightings?: SightingsMode
}

/**
 * Per observable, its first `limit` records: one sighting each, or one per feed with `per-feed`
 * (contract §3.3); one judgement per feed, and the verdict from the first (contract §3.1); one
 * indicator per feed of the whole answer, from that feed's newest kept record; one relationship per
 * sighting and per judgement to its feed's indicator. Written as the JSON the answer carries, into
 * memory lent by ./answer-buffers.ts: whoever sends the answer gives it back. Undefined when the
 * bundle would be larger than `room` bytes: writing stops as soon as it passes them, so a bundle
 * that cannot fit never costs more than `room` and one entity.
 */
export function observeBundle (read: ReadRecords[], limit: number, judging: Mapping, room = Infinity): ObserveBundleJson | undefined {
  const ids = transientIds()
  sightingsOut.start()
  memberOfOut.start()
  // judgements and verdicts as JSON list items, and the bytes they come to
  const judgements: string[] = []
  /** the judgement ids and feeds, for their element-of relationships */
  const judged: Array<{ id: string, feed: string }> = []
  const verdicts: string[] = []
  let listBytes = 0
  const newestByFeed = new Map<string, C1fAppRecord>()

  for (const answer of read) {
    const { observable, records } = answer
    const kept = records.slice(0, limit)
    if (!writeObservable(answer, limit, judging.sightings ?? DEFAULT_SIGHTINGS, room - listBytes)) return undefined
    for (const record of kept) {
      const newest = newestByFeed.get(record.feed)
      if (newest === undefined || record.reportime > newest.reportime) newestByFeed.set(record.feed, record)
    }
    const judgedHere = judgementsOf(observable, kept, judging, ids)
    for (const { judgement, feed } of judgedHere) {
      const json = JSON.stringify(judgement)
      judgements.push(json)
      judged.push({ id: judgement.id, feed })
      listBytes += Buffer.byteLength(json) + 1
    }
    if (judgedHere.length > 0) {
      const json = JSON.stringify(verdictOf(judgedHere[0].judgement, true))
      verdicts.push(json)
      listBytes += Buffer.byteLength(json) + 1
    }
    if (sightingsOut.length + memberOfOut.length + listBytes > room) return undefined
  }

  const count = sightingsOut.count
  if (count === 0) return NO_BUNDLE
  // every sighting has its member-of relationship, then come the element-of ones
  for (const { id, feed } of judged) writeRelationship(memberOfOut, ids('relationship'), id, indicatorId(feed), 'element-of')
  const indicators: string[] = []
  for (const record of newestByFeed.values()) {
    const json = JSON.stringify(indicator(record))
    indicators.push(json)
    listBytes += Buffer.byteLength(json) + 1
    if (sightingsOut.length + memberOfOut.length + listBytes > room) return undefined
  }
  const lists = [listJson('indicators', indicators.length, indicators.join(','))]
  // Judgements come only from sightings' records, and every judgement gives a verdict or follows one.
  if (judgements.length > 0) {
    lists.push(listJson('judgements', judgements.length, judgements.join(',')),
      listJson('verdicts', verdicts.length, verdicts.join(',')))
  }
  const parts = [
    Buffer.from(`{"sightings":{"count":${count},"docs":[`), sightingsOut.written(),
    Buffer.from(`]},${lists.join(',')},"relationships":{"count":${memberOfOut.count},"docs":[`), memberOfOut.written(),
    Buffer.from(']}}')
  ]
  const size = parts.reduce((sum, part) => sum + part.length, 0)
  if (size > room) return undefined
  const out = lend(ENVELOPE_ROOM.before + size + ENVELOPE_ROOM.after)
  let at = ENVELOPE_ROOM.before
  for (const part of parts) at += part.copy(out, at)
  const bundle = out.subarray(ENVELOPE_ROOM.before, at)
  withRoom.add(bundle)
  return bundle
}

/**
 * Bytes a bundle keeps free before and after it, for the envelope around it when the answer has
 * nothing else to say (`{"data":` and `}`, lib/relay-answer.ts): the answer is then sent without
 * copying the bundle once more.
 */
const ENVELOPE_ROOM = { before: 8, after: 1 }
const withRoom = new WeakSet<Buffer>()

/** The bytes of `bundle` (an observeBundle) with ENVELOPE_ROOM's bytes around them. */
export function envelopeRoom (bundle: Buffer): Buffer | undefined {
  if (!withRoom.has(bundle)) return undefined
  return Buffer.from(bundle.buffer, bundle.byteOffset - ENVELOPE_ROOM.before, ENVELOPE_ROOM.before + bundle.length + ENVELOPE_ROOM.after)
}

/** Deliberate's verdicts: the same judgements as observe's, without the judgements themselves. */
export function deliberateBundle (read: ReadRecords[], limit: number, judging: Judging): DeliberateBundle {
  const verdicts: Verdict[] = []
  const ids = transientIds()
  for (const { observable, records } of read) {
    const [first] = judgementsOf(observable, records.slice(0, limit), judging, ids)
    if (first !== undefined) verdicts.push(verdictOf(first.judgement, false))
  }
  return verdicts.length > 0 ? { verdicts: { count: verdicts.length, docs: verdicts } } : {}
}

/** C1fApp's answers → the observe bundle, and the warnings about unusable records. */
export function mapObserveBundle (answers: ObservableRecords[], limit: number, judging: Mapping): MappedBundle {
  const { read, warnings } = readAnswers(answers.map(({ observable, records }) => ({ observable, answer: readRecords(records) })), limit, judging.sightings)
  // without a room, a bundle is always written
  const bytes = observeBundle(read, limit, judging) as ObserveBundleJson
  const bundle = JSON.parse(bytes.toString()) as ObserveBundle
  giveBack(bytes)
  return { bundle, warnings }
}
