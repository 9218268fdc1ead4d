// Property-based tests of C1fApp's side: whatever C1fApp answers (any JSON, records with any field
// missing or of the wrong type, records of contract §2.1 with mutated fields, any text under any
// non-5xx status), the observe answer is Threat Response's envelope with conformant CTIM (the
// project's TypeBox answer schema, and the references between entities) or a clear error.
// 5xx answers are left to the C1fApp client's own tests: they are retried with back-off.
import t from 'tap'
import { Value } from '@sinclair/typebox/value'
import fc from 'fast-check'
import { v5 as uuidv5 } from 'uuid'
import { indicatorId } from '../../lib/ctim/bundle.js'
import { Envelope } from '../../lib/schemas/envelope.js'
import { ObserveBundleSchema } from '../../lib/schemas/ctim.js'
import { checkEnvelope, checkUpstream, fuzzParameters, hostileString } from './fuzz.js'
import { buildRelay, C1FAPP_KEY, post, saveAnswer } from '../helper.js'

const ObserveAnswer = Envelope(ObserveBundleSchema)
const BROKEN = { type: 'fatal', code: 'key error', message: 'The data structure of C1fApp API has changed. The module is broken.' }
// Event-loop shedding is off: these properties are about answers, and shedding has its own tests.
const ENV = { MAX_EVENT_LOOP_DELAY_MS: '0' }

const OBSERVABLES = [
  { type: 'domain', value: 'phish.example' },
  { type: 'ip', value: '192.0.2.10' },
  { type: 'url', value: 'https://phish.example/login' }
] as const
const observable = fc.constantFrom(...OBSERVABLES)

const RELATIONS = new Set(['Contains', 'Resolved_To', 'Hosted_By'])

/**
 * The observe answer for one observable whose C1fApp answer was `records`: schema-valid CTIM whose
 * entities refer to each other, about the requested observable only. Returns the sightings' count.
 */
function checkBundle (body: any, requested: { type: string, value: string }, records: number, limit: number): number {
  const mismatch = Value.Errors(ObserveAnswer, body).First()
  if (mismatch !== undefined) throw new Error(`the answer does not match its schema at ${mismatch.path} (${mismatch.message}): ${JSON.stringify(body)}`)
  for (const error of body.errors ?? []) {
    if (error.type !== 'warning' || error.code !== 'key error') throw new Error(`an unexpected error: ${JSON.stringify(error)}`)
    if (!error.message.includes(JSON.stringify(requested.value))) throw new Error(`the warning does not name the observable: ${error.message}`)
  }
  const sightings: any[] = body.data.sightings?.docs ?? []
  const indicators: any[] = body.data.indicators?.docs ?? []
  const judgements: any[] = body.data.judgements?.docs ?? []
  const verdicts: any[] = body.data.verdicts?.docs ?? []
  const relationships: any[] = (body.data.relationships?.docs ?? []).filter((doc: any) => doc.relationship_type === 'member-of')
  const elements: any[] = (body.data.relationships?.docs ?? []).filter((doc: any) => doc.relationship_type === 'element-of')
  for (const list of ['sightings', 'indicators', 'judgements', 'verdicts', 'relationships']) {
    if (body.data[list] !== undefined && body.data[list].count !== body.data[list].docs.length) throw new Error(`${list}: count is not the number of docs`)
  }
  if (sightings.length > Math.min(records, limit)) throw new Error(`${sightings.length} sightings of ${records} records (limit ${limit})`)
  if (sightings.length < Math.min(records, limit) && body.errors === undefined) throw new Error('records were skipped without a warning')
  if (relationships.length !== sightings.length) throw new Error('not one relationship per sighting')
  if (indicators.length > sightings.length || (sightings.length > 0 && indicators.length === 0)) throw new Error('indicators without sightings, or sightings without one')
  const sightingIds = new Set(sightings.map(doc => doc.id))
  const indicatorIds = new Set(indicators.map(doc => doc.id))
  if (sightingIds.size !== sightings.length || indicatorIds.size !== indicators.length) throw new Error('an id twice')
  for (const doc of relationships) {
    if (!sightingIds.has(doc.source_ref) || !indicatorIds.has(doc.target_ref)) throw new Error(`a dangling relationship: ${JSON.stringify(doc)}`)
  }
  // contract §3.1: a judgement per judged feed, an element-of relationship each, one verdict from the first
  const judgementIds = new Set(judgements.map(doc => doc.id))
  if (judgements.length > indicators.length || elements.length !== judgements.length) throw new Error('not one element-of relationship per judgement')
  for (const doc of elements) {
    if (!judgementIds.has(doc.source_ref) || !indicatorIds.has(doc.target_ref)) throw new Error(`a dangling relationship: ${JSON.stringify(doc)}`)
  }
  if (verdicts.length !== Math.min(judgements.length, 1) || (verdicts.length === 1 && verdicts[0].judgement_id !== judgements[0].id)) throw new Error('not one verdict from the first judgement')
  for (const doc of sightings) {
    if (JSON.stringify(doc.observables) !== JSON.stringify([requested])) throw new Error(`a sighting of something else: ${JSON.stringify(doc.observables)}`)
    if (!/^\d{4}-\d{2}-\d{2}T00:00:00\.000Z$/.test(doc.observed_time.start_time) || Number.isNaN(Date.parse(doc.observed_time.start_time))) throw new Error(`not a time: ${doc.observed_time.start_time}`)
    if (doc.source_uri !== undefined && !/^https?:$/.test(new URL(doc.source_uri).protocol)) throw new Error(`source_uri ${doc.source_uri}`)
    const seen = new Set<string>()
    for (const relation of doc.relations) {
      const text = JSON.stringify(relation)
      if (seen.has(text)) throw new Error(`a relation twice: ${text}`)
      seen.add(text)
      if (!RELATIONS.has(relation.relation) || relation.origin !== 'C1fApp Enrichment Module') throw new Error(`a relation: ${text}`)
      const ends = [relation.source, relation.related]
      if (!ends.some(end => end.type === requested.type && end.value === requested.value)) throw new Error(`a relation without the observable: ${text}`)
      if (!ends.every(end => ['domain', 'ip', 'url'].includes(end.type) && end.value.trim() !== '')) throw new Error(`a relation end: ${text}`)
    }
  }
  return sightings.length
}

/** C1fApp answers `text` (status 200 unless given) for the observable; the relay's answer. */
async function answerFor (relay: Awaited<ReturnType<typeof buildRelay>>, requested: { type: string, value: string }, text: string, status = 200) {
  relay.simulator.reset()
  relay.simulator.script(requested.value, { status, body: text })
  const response = await post(relay.app, '/observe/observables', [requested])
  const body = checkEnvelope(response)
  const asked = checkUpstream(relay.simulator.requests, C1FAPP_KEY)
  if (asked.length !== 1 || asked[0] !== requested.value) throw new Error(`C1fApp was asked ${JSON.stringify(asked)}`)
  return body
}

t.test('any JSON as C1fApp\'s answer: CTIM for an array, the "module is broken" error for anything else', async t => {
  const relay = await buildRelay(t, ENV)
  await fc.assert(fc.asyncProperty(observable, fc.jsonValue({ maxDepth: 4 }), async (requested, json) => {
    const body = await answerFor(relay, requested, JSON.stringify(json))
    if (Array.isArray(json)) checkBundle(body, requested, json.length, 100)
    else t.strictSame(body, { errors: [BROKEN] })
  }), fuzzParameters(200))
})

const FIELDS = ['feed_label', 'domain', 'description', 'derived', 'address', 'ip_address', 'asn', 'confidence', 'country', 'reportime', 'source', 'asn_desc', 'assessment']

t.test('records with every field missing or of any type: CTIM, with the unusable ones skipped and warned about', async t => {
  const relay = await buildRelay(t, ENV)
  const looseRecord = fc.oneof(
    { weight: 6, arbitrary: fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 6 })), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 14 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }
  )
  await fc.assert(fc.asyncProperty(observable, fc.array(looseRecord, { maxLength: 12 }), async (requested, records) => {
    const body = await answerFor(relay, requested, JSON.stringify(records))
    checkBundle(body, requested, records.length, 100)
  }), fuzzParameters(200))
})

// Contract §2.1's record, then each field kept, dropped, or replaced by something C1fApp might
// send on a bad day.
const BASE: Record<string, unknown> = {
  feed_label: ['Phishtank'],
  domain: ['phish.example'],
  description: ['Microsoft'],
  derived: 'direct',
  address: ['https://phish.example/login'],
  ip_address: ['192.0.2.10'],
  asn: ['-'],
  confidence: [95],
  country: ['US'],
  reportime: ['2026-10-01'],
  source: ['http://www.phishtank.com/phish_detail.php?phish_id=62,http://www.phishtank.com/phish_detail.php?phish_id=6200'],
  asn_desc: ['-'],
  assessment: ['phishing']
}

const date = fc.date({ min: new Date('1970-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map(d => d.toISOString().slice(0, 10))
const CANDIDATES: Record<string, fc.Arbitrary<unknown>> = {
  feed_label: fc.oneof(hostileString({ maxLength: 12 }), fc.constantFrom('Phishtank', 'Spamhaus', '  ', 'phishtank', 'Феед')),
  reportime: fc.oneof(date, fc.constantFrom('2020-02-30', '2020-1-1', ' 2020-01-01', '2020-01-01T00:00:00Z', '', '0000-00-00', '9999-12-31', '2021-02-29', '2024-02-29'), hostileString({ maxLength: 12 })),
  confidence: fc.oneof(fc.constantFrom(95, '70', '-1', 101, 'NaN', '1e2', '', true, 25.5, '80 ', 0, 100, 26, 79, 80), fc.double(), hostileString({ maxLength: 6 })),
  address: fc.oneof(fc.constantFrom('javascript:alert(1)', 'http://', 'https://[::1]/', 'HTTPS://PHISH.EXAMPLE/x', 'http://phish.example:99999/', 'ftp://phish.example/', 'https://phish.example/login', 'https://sub.phish.example/a', ''), fc.webUrl(), hostileString({ maxLength: 20 })),
  source: fc.oneof(fc.constantFrom('http://a.example/1,https://a.example/22', ',,,', 'https://x.example/ , javascript:x', 'not a url'), fc.webUrl(), hostileString({ maxLength: 20 })),
  domain: fc.oneof(fc.constantFrom('phish.example', 'PHISH.EXAMPLE', 'example', 'sub.phish.example', '', '.', 'a..b', '192.0.2.10'), fc.domain(), hostileString({ maxLength: 12 })),
  ip_address: fc.oneof(fc.constantFrom('192.0.2.10', '', '::1', '999.1.1.1', 'phish.example'), fc.ipV4(), fc.ipV6(), hostileString({ maxLength: 12 })),
  assessment: fc.oneof(fc.constantFrom('phishing', 'botnet', 'malware', 'Spam', 'whitelist', ''), hostileString({ maxLength: 12 }))
}
const anything = fc.jsonValue({ maxDepth: 1 })

function mutation (field: string): fc.Arbitrary<unknown> {
  const candidate = CANDIDATES[field] ?? hostileString({ maxLength: 8 })
  return fc.oneof(
    { weight: 4, arbitrary: candidate.map(value => [value]) },
    { weight: 1, arbitrary: candidate },
    { weight: 1, arbitrary: fc.array(fc.oneof(candidate, anything), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.constantFrom(undefined, null, [], [null], {}) },
    { weight: 1, arbitrary: anything }
  )
}

const KEEP = Symbol('keep')
const mutatedRecord = fc.record(Object.fromEntries(FIELDS.map(field => [field, fc.oneof({ weight: 3, arbitrary: fc.constant(KEEP) }, { weight: 1, arbitrary: mutation(field) })])))
  .map(fields => {
    const record: Record<string, unknown> = {}
    for (const field of FIELDS) {
      const value = fields[field] === KEEP ? BASE[field] : fields[field]
      if (value !== undefined) record[field] = value
    }
    return record
  })

t.test('records of contract §2.1 with mutated fields: CTIM, and every record with its date and feed intact is sighted', async t => {
  const LIMIT = 6
  const relay = await buildRelay(t, { ...ENV, CTR_ENTITIES_LIMIT: String(LIMIT) })
  let saved = 0
  await fc.assert(fc.asyncProperty(observable, fc.array(mutatedRecord, { maxLength: 9 }), async (requested, records) => {
    const body = await answerFor(relay, requested, JSON.stringify(records))
    const sighted = checkBundle(body, requested, records.length, LIMIT)
    const intact = records.filter(record => record.reportime === BASE.reportime && record.feed_label === BASE.feed_label).length
    t.ok(sighted >= Math.min(intact, LIMIT), `${sighted} sightings, ${intact} intact records`)
    // a few answers go to .ci/run, which checks them with Threat Response's published schema
    if (sighted > 0 && saved < 5) saveAnswer('observe', `fuzz-mutated-records-${++saved}`, body)
  }), fuzzParameters(200))
  t.equal(saved, 5, 'answers saved for the conformance check')
})

const STATUS_CODES: Record<number, string> = { 400: 'invalid argument', 401: 'unauthorized', 403: 'forbidden', 404: 'not found' }
const NOTHING_FOUND = ['Unsupported request ? IPv4/Domain only', 'Empty Search! Available search: IPv4/URL/Domain']

t.test('any text under any non-5xx status: data, nothing found, or the contract\'s error, never echoing the key', async t => {
  const relay = await buildRelay(t, ENV)
  // not 429: C1fApp's refusal holds the key back by the daily quota's rules (test/plugins/quota.test.ts)
  const status = fc.constantFrom(200, 201, 202, 203, 206, 300, 301, 302, 303, 307, 308, 400, 401, 402, 403, 404, 405, 409, 410, 418, 422, 451)
  const text = fc.oneof(
    { weight: 4, arbitrary: hostileString({ maxLength: 400 }) },
    { weight: 2, arbitrary: fc.tuple(hostileString({ maxLength: 200 }), hostileString({ maxLength: 200 })).map(([before, after]) => `${before}${C1FAPP_KEY}${after}`) },
    { weight: 1, arbitrary: fc.constantFrom(...NOTHING_FOUND, ` ${NOTHING_FOUND[0]}\n`, 'Invalid API key', '[]', '{}', 'null', '') },
    { weight: 1, arbitrary: fc.json({ maxDepth: 2 }) }
  )
  await fc.assert(fc.asyncProperty(observable, status, text, async (requested, code, answer) => {
    const body = await answerFor(relay, requested, answer, code)
    t.notOk(JSON.stringify(body).includes(C1FAPP_KEY), 'the key is never echoed')
    if (NOTHING_FOUND.includes(answer.trim())) {
      t.strictSame(body, { data: {} }, 'nothing found')
      return
    }
    if (code >= 300) {
      t.equal(body.data, undefined)
      t.equal(body.errors?.length, 1)
      const [error] = body.errors ?? []
      t.equal(error.code, STATUS_CODES[code] ?? 'unknown', `HTTP ${code}`)
      t.match(error.message, /^Unexpected response from C1fApp: /)
      t.ok(error.message.length <= 'Unexpected response from C1fApp: '.length + 301, 'the quoted text is cut')
      return
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(answer)
    } catch {}
    if (Array.isArray(parsed)) checkBundle(body, requested, parsed.length, 100)
    else t.strictSame(body, { errors: [BROKEN] })
  }), fuzzParameters(200))
})

// Found by the properties above: a feed label with a lone surrogate made uuid throw (HTTP 500).
t.test('regression: a feed label that is not well-formed Unicode still gives its stable indicator', async t => {
  t.equal(indicatorId('Phishtank'), `transient:indicator-${uuidv5('Phishtank', '5b0f2e59-3c5e-4d6b-9f0a-c1fa99000001')}`, 'ids of well-formed labels are unchanged')
  t.equal(indicatorId('Feed \ud800'), indicatorId('Feed \ufffd'), 'a lone surrogate counts as U+FFFD')
  const relay = await buildRelay(t, ENV)
  const requested = OBSERVABLES[0]
  const body: any = await answerFor(relay, requested, JSON.stringify([{ ...BASE, feed_label: ['Feed \udfff'] }]))
  t.equal(checkBundle(body, requested, 1, 100), 1)
  t.equal(body.data.indicators.docs[0].id, indicatorId('Feed \ufffd'))
  t.equal(body.data.indicators.docs[0].title, 'Feed: Feed \udfff')
})
