// The observe answer's bytes (lib/ctim/observe-bytes.ts): templates derived from the CTIM schemas,
// so that a schema's property without a writer fails loudly, and the size bound ANSWER_MAX_BYTES
// relies on, as a property over arbitrary records, limits, modes and rooms.
import { Type, type TObject } from '@sinclair/typebox'
import fc from 'fast-check'
import fastJsonStringify from 'fast-json-stringify'
import t from 'tap'
import { readRecords } from '../../../lib/c1fapp/record.js'
import { observeBundle, readAnswers } from '../../../lib/ctim/bundle.js'
import {
  answerSent, bundleLists, heldBytes, JsonBytes, RELATIONSHIP_WRITERS, SIGHTING_WRITERS, template, type RelationshipFacts, type Writers
} from '../../../lib/ctim/observe-bytes.js'
import type { Observable } from '../../../lib/observables.js'
import {
  IndicatorSchema, JudgementSchema, ObserveBundleSchema, RelationshipSchema, SightingSchema, VerdictSchema, type ObserveBundle
} from '../../../lib/schemas/ctim.js'
import type { SightingsMode } from '../../../lib/sightings-mode.js'
import { fuzzParameters, hostileString } from '../../fuzz/fuzz.js'
import { JUDGING } from '../../support/records.js'

const MEMBER_OF: RelationshipFacts = { id: 'transient:relationship-1', relationship_type: 'member-of', source_ref: 'transient:sighting-1', target_ref: 'transient:indicator-1' }

function written<C> (write: (out: JsonBytes, doc: C) => void, doc: C): string {
  const out = new JsonBytes()
  write(out, doc)
  return out.written().toString()
}

t.test('a template writes what its schema\'s serialiser writes: literals fixed, properties in its order', async t => {
  const relationship = fastJsonStringify(RelationshipSchema)
  t.equal(written(template(RelationshipSchema, RELATIONSHIP_WRITERS), MEMBER_OF), relationship({ type: 'relationship', schema_version: '1.0.17', ...MEMBER_OF }))
  // a literal added to the schema is written with no other edit
  const withTlp = Type.Object({ ...RelationshipSchema.properties, tlp: Type.Literal('white') }, { title: 'Relationship', additionalProperties: false })
  const text = written(template(withTlp, RELATIONSHIP_WRITERS), MEMBER_OF)
  t.match(text, /"tlp":"white"}$/)
  t.equal(text, fastJsonStringify(withTlp)(JSON.parse(text)))
  // an optional property comes after the required ones, whatever its place in the schema
  const ordered = Type.Object({ a: Type.String(), b: Type.Optional(Type.String()), c: Type.Integer(), d: Type.Object({ e: Type.String() }) })
  const writers: Writers<{ b?: string }> = {
    a: { text: () => 'é"' },
    b: { optionalText: ({ b }) => b },
    c: { json: out => out.ascii('7') },
    d: { object: { e: { constant: 'f' } } }
  }
  for (const doc of [{}, { b: 'x\u0000' }]) {
    t.equal(written(template(ordered, writers), doc), fastJsonStringify(ordered)({ a: 'é"', c: 7, d: { e: 'f' }, ...doc }), JSON.stringify(doc))
  }
})

t.test('a property of the schema without a writer, or a writer without a property, fails loudly', async t => {
  const withField = (schema: TObject, field: TObject['properties']) => Type.Object({ ...schema.properties, ...field }, { title: schema.title, additionalProperties: false })
  t.throws(() => template(withField(SightingSchema, { first_seen: Type.String() }), SIGHTING_WRITERS), { message: 'Sighting.first_seen: no writer for this property of the schema' })
  t.throws(() => template(withField(SightingSchema, { first_seen: Type.Optional(Type.String()) }), SIGHTING_WRITERS), { message: 'Sighting.first_seen: no writer for this property of the schema' })
  t.throws(() => template(withField(RelationshipSchema, { observed_time: Type.Object({ start_time: Type.String(), end_time: Type.String() }) }), { ...RELATIONSHIP_WRITERS, observed_time: { object: { start_time: { ascii: () => {} } } } }),
    { message: 'Relationship.observed_time.end_time: no writer for this property of the schema' }, 'in a nested object too')
  t.throws(() => template(RelationshipSchema, { ...RELATIONSHIP_WRITERS, first_seen: { text: () => '' } }), { message: 'Relationship: a writer for first_seen, which the schema does not have' })
  t.throws(() => template(RelationshipSchema, { ...RELATIONSHIP_WRITERS, type: { constant: 'relationship' } }), { message: 'Relationship.type: a literal of the schema needs no writer' })
  t.throws(() => template(SightingSchema, { ...SIGHTING_WRITERS, source_uri: { text: () => '' } }), { message: 'Sighting.source_uri: an optional property needs an optionalText writer, after a required property' })
  t.throws(() => template(Type.Object({ a: Type.Optional(Type.String()) }), { a: { optionalText: () => '' } }), { message: 'entity.a: an optional property needs an optionalText writer, after a required property' })
  t.throws(() => template(RelationshipSchema, { ...RELATIONSHIP_WRITERS, id: { optionalText: () => '' } }), { message: 'Relationship.id: a required property cannot be left out' })
  t.throws(() => bundleLists(withField(ObserveBundleSchema, { sightings_seen: Type.Optional(Type.String()) }), {}), { message: 'the bundle\'s sightings: no list written for it' })
})

// ——— The size bound ———

/** Text of 200 to 6 000 UTF-16 units: past every bound of the schema, odd characters included. */
const long = fc.tuple(hostileString({ minLength: 1, maxLength: 6 }), fc.integer({ min: 200, max: 6000 }))
  .map(([piece, length]) => piece.repeat(Math.ceil(length / piece.length)).slice(0, length))
const text = (...usual: string[]) => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...usual) }, { weight: 1, arbitrary: long }, { weight: 2, arbitrary: hostileString({ maxLength: 12 }) })
const date = fc.date({ min: new Date('2020-01-01'), max: new Date('2026-12-31'), noInvalidDate: true }).map(d => d.toISOString().slice(0, 10))
const OBSERVABLES: Observable[] = [
  { type: 'domain', value: 'phish.example' },
  { type: 'ip', value: '192.0.2.10' },
  { type: 'url', value: 'https://phish.example/login' }
]

const record = fc.record({
  feed_label: fc.array(text('Phishtank', 'OpenPhish', 'Spamhaus'), { minLength: 1, maxLength: 1 }),
  reportime: date.map(d => [d]),
  confidence: fc.integer({ min: 0, max: 100 }).map(c => [c]),
  assessment: fc.array(text('phishing', 'malware', 'whitelist', 'Spam'), { maxLength: 3 }),
  source: fc.oneof(fc.constant('http://www.phishtank.com/phish_detail.php?phish_id=1'), fc.webUrl(), long).map(source => [source]),
  // many relations: up to 120 IPs and domains a record, past the caps of 100
  domain: fc.oneof(fc.array(text('phish.example', 'PHISH.example.', 'other.example'), { maxLength: 3 }),
    fc.integer({ min: 0, max: 120 }).map(n => Array.from({ length: n }, (_, i) => `host${i}.phish.example`))),
  ip_address: fc.oneof(fc.array(fc.ipV4(), { maxLength: 3 }), fc.integer({ min: 0, max: 120 }).map(n => Array.from({ length: n }, (_, i) => `198.51.${i >> 8}.${i & 255}`))),
  address: fc.constantFrom('https://phish.example/login', 'http://phish.example/', 'not a url').map(address => [address])
})

const answers = fc.array(fc.tuple(fc.constantFrom(...OBSERVABLES), fc.oneof(hostileString({ maxLength: 8 }), fc.constant('')), fc.array(record, { maxLength: 12 })), { minLength: 1, maxLength: 3 })
  .map(list => list.map(([{ type, value }, odd, records], i) => ({ observable: { type, value: i === 0 ? value : `${value}${odd}` } as Observable, records })))

const bundleJson = fastJsonStringify(ObserveBundleSchema)
const entityJson = {
  sightings: fastJsonStringify(SightingSchema),
  indicators: fastJsonStringify(IndicatorSchema),
  judgements: fastJsonStringify(JudgementSchema),
  verdicts: fastJsonStringify(VerdictSchema),
  relationships: fastJsonStringify(RelationshipSchema)
}

/** The bytes of the largest entity of a bundle, with the comma before it. */
function largestEntity (bundle: ObserveBundle): number {
  let largest = 0
  for (const [name, json] of Object.entries(entityJson)) {
    for (const doc of (bundle as Record<string, { docs: unknown[] } | undefined>)[name]?.docs ?? []) largest = Math.max(largest, Buffer.byteLength(json(doc as never)) + 1)
  }
  return largest
}

t.test('a bundle of entities never passes its room, is its schema serialiser\'s bytes, and a try that cannot fit costs at most the room and one entity (property)', async t => {
  let fitted = 0
  let cut = 0
  let nothing = 0
  fc.assert(fc.property(answers, fc.integer({ min: 1, max: 40 }), fc.constantFrom<SightingsMode>('each', 'per-feed'), fc.boolean(),
    fc.oneof(fc.constantFrom(-1, 0, 1), fc.double({ min: 0, max: 1.2, noNaN: true })), (asked, limit, sightings, kept, where) => {
      const { read } = readAnswers(asked.map(({ observable, records }) => ({ observable, answer: readRecords(records, kept) })), limit, sightings)
      const judging = { ...JUDGING, sightings }
      const whole = observeBundle(read, limit, judging) as Buffer
      const size = whole.length
      const parsed = JSON.parse(whole.toString()) as ObserveBundle
      if (bundleJson(parsed) !== whole.toString()) throw new Error(`not the serialiser's bytes: ${whole.toString().slice(0, 500)}`)
      const entity = largestEntity(parsed)
      answerSent(whole)
      // the room right at the bundle's size, a byte either side, or anywhere from none to past it
      const room = Number.isInteger(where) ? size + where : Math.floor(size * where)
      const bytes = observeBundle(read, limit, judging, room)
      if (whole.toString() === '{}') {
        // nothing found: `{}` whatever the room, so that an answer of errors alone has a bundle (lib/relay-answer.ts)
        if (bytes?.toString() !== '{}') throw new Error(`${bytes?.toString()} for nothing found`)
        nothing++
        return
      }
      if (bytes === undefined) {
        if (size <= room) throw new Error(`${size} bytes did not fit a room of ${room}`)
        if (heldBytes() > room + entity) throw new Error(`held ${heldBytes()} bytes for a room of ${room}, past it by more than the largest entity (${entity})`)
        cut++
        return
      }
      if (bytes.length > room) throw new Error(`${bytes.length} bytes in a room of ${room}`)
      if (bytes.length !== size) throw new Error(`${bytes.length} bytes, the bundle without a room ${size}`)
      if (bundleJson(JSON.parse(bytes.toString())) !== bytes.toString()) throw new Error(`not the serialiser's bytes: ${bytes.toString().slice(0, 500)}`)
      answerSent(bytes)
      fitted++
    }), fuzzParameters(1000))
  t.ok(fitted > 0, `${fitted} bundles fitted their room`)
  t.ok(cut > 0, `${cut} did not`)
  t.ok(nothing > 0, `${nothing} found nothing`)
})
