// The observe route writes its answers' JSON itself (lib/ctim/bundle.ts's text, lib/relay-answer.ts's
// answerSerializer): it must write the very bytes the answer's schema's serialiser writes of what
// it wrote, for every entity, every optional property present and absent, warnings, cut answers and errors.
import t from 'tap'
import fastJsonStringify from 'fast-json-stringify'
import { answerSerializer, observeAnswer } from '../../lib/relay-answer.js'
import { RelayError } from '../../lib/relay-error.js'
import { ObserveBundleSchema } from '../../lib/schemas/ctim.js'
import { Envelope } from '../../lib/schemas/envelope.js'
import type { Observable } from '../../lib/observables.js'
import { buildDataset } from '../../simulator/dataset.js'
import { readRecords } from '../../lib/c1fapp/record.js'
import { cutWarning } from '../support/answer-size.js'

const schemaSerializer = fastJsonStringify(Envelope(ObserveBundleSchema))
const serialize = answerSerializer()
const JUDGING = { now: Date.UTC(2026, 10, 30), validDays: 7 }

function typeOf (value: string): Observable['type'] {
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(value)) return 'ip'
  return /^https?:\/\//.test(value) ? 'url' : 'domain'
}

const dataset = buildDataset(new Date(JUDGING.now))
const observables: Observable[] = [...dataset.keys()].map(value => ({ type: typeOf(value), value }))
const outcomes = observables.map(({ value }) => readRecords(dataset.get(value) as unknown[]))
// text JSON must escape, a lone surrogate, a record without source, assessment or relations
const odd = { type: 'domain', value: 'odd\u0001"\\.example' } satisfies Observable
const oddRecords = [
  { feed_label: ['Feed "quoted"\u0000\ud800'], reportime: ['2026-11-01'], confidence: [90], assessment: ['phishing', 'tab\there'], source: ['https://feed.example/a?b="c"'], domain: ['odd.example'], ip_address: ['192.0.2.1'] },
  { feed_label: ['Plain'], reportime: ['2026-10-01'], confidence: [10] },
  { reportime: ['2026-10-01'] }
]

t.test('the answers serialise to the schema serialiser\'s bytes', async t => {
  const cases = {
    'every observable of the data set': observeAnswer(observables, outcomes, { limit: 100, maxBytes: 1e8, ...JUDGING }),
    'odd text, an unusable record, a failed lookup': observeAnswer([odd, ...observables.slice(0, 3)], [readRecords(oddRecords), new RelayError('unknown', 'C1fApp failed'), ...outcomes.slice(1, 3)], { limit: 100, maxBytes: 1e8, ...JUDGING }),
    'cut to ANSWER_MAX_BYTES': observeAnswer(observables, outcomes, { limit: 100, maxBytes: 50_000, ...JUDGING }),
    'per-feed sightings': observeAnswer([odd, ...observables], [readRecords(oddRecords), ...outcomes], { limit: 100, maxBytes: 1e8, ...JUDGING, sightings: 'per-feed' }),
    'per-feed, cut': observeAnswer(observables, outcomes, { limit: 100, maxBytes: 20_000, ...JUDGING, sightings: 'per-feed' }),
    'observables left out': observeAnswer(observables, outcomes, { limit: 100, maxBytes: 10_000, ...JUDGING }),
    'errors only': observeAnswer([odd], [new RelayError('too many requests', 'quota')], { limit: 100, maxBytes: 1e8, ...JUDGING }),
    'nothing found': observeAnswer([odd], [readRecords([])], { limit: 100, maxBytes: 1e8, ...JUDGING })
  }
  t.ok(cases['cut to ANSWER_MAX_BYTES'].keptPerObservable !== undefined, 'the cut case is cut')
  t.ok(cases['per-feed, cut'].keptPerObservable !== undefined, 'the per-feed cut case is cut')
  t.ok(cases['observables left out'].observablesLeftOut! > 0, 'the left-out case leaves observables out')
  t.ok(serialize(cases['observables left out'].answer).length <= 10_000, 'within the limit')
  t.ok(cases['odd text, an unusable record, a failed lookup'].answer.errors?.length, 'the odd case has warnings and errors')
  for (const [name, { answer }] of Object.entries(cases)) {
    const text = serialize(answer).toString()
    t.equal(text, schemaSerializer(JSON.parse(text)), name)
  }
  const error = { errors: [new RelayError('unknown', 'the error handler\'s envelope').toEnvelope()] }
  t.equal(serialize(error).toString(), schemaSerializer(error), 'the error handler\'s envelope')
})

t.test('kept records: their sightings are written once per observable type and entities limit, then reused', async t => {
  const kept = observables.slice(0, 3).map(({ value }) => readRecords(dataset.get(value) as unknown[], true))
  const options = { maxBytes: 1e8, ...JUDGING }
  const answer = (limit: number) => JSON.parse(serialize(observeAnswer(observables.slice(0, 3), kept, { limit, ...options }).answer).toString())
  const sightingIds = (body: any) => body.data.sightings.docs.map((doc: any) => doc.id)
  const all = answer(100)
  const two = answer(2)
  t.strictSame(answer(100).data.sightings, all.data.sightings, 'the same limit: the same sightings')
  t.strictSame(answer(2).data.sightings, two.data.sightings)
  t.equal(two.data.sightings.count, 6, 'two of each of the three observables')
  t.notOk(sightingIds(two).some((id: string) => sightingIds(all).includes(id)), 'another limit: written for it')
  const fresh = observables.slice(0, 3).map(({ value }) => readRecords(dataset.get(value) as unknown[]))
  const once = JSON.parse(serialize(observeAnswer(observables.slice(0, 3), fresh, { limit: 100, ...options }).answer).toString())
  t.strictSame(once.data.sightings.docs.map(({ id, ...doc }: any) => doc), all.data.sightings.docs.map(({ id, ...doc }: any) => doc), 'the same sightings as records not kept give, ids aside')
  const text = serialize(observeAnswer(observables.slice(0, 3), kept, { limit: 100, ...options }).answer).toString()
  t.equal(text, schemaSerializer(JSON.parse(text)), 'written as the schema serialiser writes')

  // the same kept records for both modes: what each mode wrote from them is its own
  const perFeed = (limit: number) => JSON.parse(serialize(observeAnswer(observables.slice(0, 3), kept, { limit, ...options, sightings: 'per-feed' }).answer).toString())
  const feeds = perFeed(100)
  t.ok(feeds.data.sightings.count < all.data.sightings.count, 'per-feed: a sighting per feed')
  t.ok(feeds.data.sightings.docs.some((doc: any) => doc.count > 1))
  t.strictSame(perFeed(100).data.sightings, feeds.data.sightings, 'per-feed again: the same sightings, reused')
  t.strictSame(answer(100).data.sightings, all.data.sightings, 'each after per-feed: still each\'s sightings')
  const freshFeeds = JSON.parse(serialize(observeAnswer(observables.slice(0, 3), fresh, { limit: 100, ...options, sightings: 'per-feed' }).answer).toString())
  t.strictSame(freshFeeds.data.sightings.docs.map(({ id, ...doc }: any) => doc), feeds.data.sightings.docs.map(({ id, ...doc }: any) => doc), 'per-feed: the same as records not kept give, ids aside')
})

t.test('the cut keeps the most sightings that fit, every count tried, all but one included', async t => {
  // Two observables of six records each, and for every n from 1 to 5 the limit that the answer
  // keeping n each (with its warning) just fills: the cut must keep exactly n. n = 5, all but one,
  // is the edge of the halving search.
  const cutObservables = observables.slice(0, 2)
  const six = (records: unknown[]) => readRecords(records.slice(0, 6))
  const cutOutcomes = () => cutObservables.map(({ value }) => six(dataset.get(value) as unknown[]))
  t.ok(cutOutcomes().every(({ records }) => records.length === 6), 'six records each')
  const bytesKeeping = (n: number, maxBytes: number): number => {
    const { answer } = observeAnswer(cutObservables, cutOutcomes(), { limit: n, maxBytes: 1e9, ...JUDGING })
    return serialize({ ...answer, errors: [cutWarning(n, maxBytes)] }).length
  }
  for (let n = 1; n <= 5; n++) {
    // the warning names the limit, so the limit is the answer's size once its digits settle
    let maxBytes = bytesKeeping(n, 1)
    for (let settled = bytesKeeping(n, maxBytes); settled !== maxBytes; settled = bytesKeeping(n, maxBytes)) maxBytes = settled
    const cut = observeAnswer(cutObservables, cutOutcomes(), { limit: 100, maxBytes, ...JUDGING })
    t.equal(cut.keptPerObservable, n, `${maxBytes} bytes: ${n} sighting${n === 1 ? '' : 's'} each`)
    t.strictSame(cut.answer.errors, [cutWarning(n, maxBytes)])
    t.equal(serialize(cut.answer).length, maxBytes, 'the answer fills the limit exactly')
  }
})
