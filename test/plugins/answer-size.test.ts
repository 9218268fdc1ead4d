// Contract §3.2: an answer never grows past ANSWER_MAX_BYTES. Every observable keeps the same
// number of newest sightings, at least one, with what goes with them, and one warning says so.
import { Writable } from 'node:stream'
import t from 'tap'
import { answerBytes, observeAnswer } from '../../lib/relay-answer.js'
import { checkCut, cutWarning, leftOutWarning, MAX, OBSERVABLES, records } from '../support/answer-size.js'
import { buildRelay, observeBody, post } from '../helper.js'
import { readRecords } from '../../lib/c1fapp/record.js'

t.test('over ANSWER_MAX_BYTES, every observable keeps the same newest sightings, as many as fit', async t => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(chunk.toString()); done() } })
  const { app, simulator } = await buildRelay(t, { ANSWER_MAX_BYTES: String(MAX), LOG_LEVEL: 'info' }, { level: 'info', stream })
  simulator.script('*', { body: records() })
  const response = await post(app, '/observe/observables', OBSERVABLES)
  t.ok(response.rawPayload.length <= MAX, `${response.rawPayload.length} bytes`)
  const body = observeBody(t, response, 'observe-answer-cut')
  const kept = body.data.sightings.count / OBSERVABLES.length
  t.ok(Number.isInteger(kept) && kept > 1 && kept < 100, `${kept} sightings each`)
  t.strictSame(body.errors, [cutWarning(kept)])
  checkCut(t, body, kept)

  // one more each would not have fitted: the same lookups, mapped at kept + 1 by the pure function
  const outcomes = OBSERVABLES.map(() => readRecords(records()))
  const bigger = observeAnswer(OBSERVABLES as any, outcomes, { limit: kept + 1, now: Date.now(), validDays: 7, maxBytes: 1e9 }).answer
  t.ok(answerBytes({ ...bigger, errors: [cutWarning(kept + 1)] }).length > MAX, 'one sighting more each is over the limit')

  const cut = lines.map(line => JSON.parse(line)).filter(line => line.msg === 'answer cut to ANSWER_MAX_BYTES')
  t.match(cut, [{ keptPerObservable: kept }], 'request.answerCut told the onResponse hook')
  const small = await post(app, '/observe/observables', OBSERVABLES.slice(0, 1).map(() => ({ type: 'ip', value: '192.0.2.9' })))
  t.notOk(small.json().errors, 'an answer that fits is not cut')
  t.equal(lines.map(line => JSON.parse(line)).filter(line => line.msg === 'answer cut to ANSWER_MAX_BYTES').length, 1, 'nor logged')
  const counted = await app.metrics.registry?.getSingleMetric('relay_answers_cut_total')?.get()
  t.equal(counted?.values[0].value, 1, 'relay_answers_cut_total counts the one cut answer')
})

t.test('where even one sighting each would not fit, the observables asked last are left out whole', async t => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(chunk.toString()); done() } })
  const { app, simulator } = await buildRelay(t, { ANSWER_MAX_BYTES: '10000' }, { level: 'info', stream })
  simulator.script('*', { body: records() })
  simulator.script('nothing.example', { body: [] })
  const many = Array.from({ length: 20 }, (_, i) => ({ type: 'domain', value: `d${i}.example` }))
  const response = await post(app, '/observe/observables', [...many.slice(0, 2), { type: 'domain', value: 'nothing.example' }, ...many.slice(2)])
  t.ok(response.rawPayload.length <= 10000, `${response.rawPayload.length} bytes`)
  const body = observeBody(t, response, 'observe-answer-observables-left-out')
  const kept = body.data.verdicts.count
  t.ok(kept > 1 && kept < 20, `${kept} observables kept`)
  t.strictSame(body.errors, [leftOutWarning(20 - kept, 10000)], 'an observable without records is not counted as left out')
  checkCut(t, body, 1, many.slice(0, kept))
  t.strictSame(body.data.verdicts.docs.map((verdict: any) => verdict.observable.value), many.slice(0, kept).map(({ value }) => value), 'the first asked are kept')

  // one observable more would not have fitted: the same lookups, mapped by the pure function
  const outcomes = many.slice(0, kept + 1).map(() => readRecords(records()))
  const bigger = observeAnswer(many.slice(0, kept + 1) as any, outcomes, { limit: 1, now: Date.now(), validDays: 7, maxBytes: 1e9 }).answer
  t.ok(answerBytes({ ...bigger, errors: [leftOutWarning(20 - kept - 1, 10000)] }).length > 10000, 'one observable more is over the limit')
  const cut = lines.map(line => JSON.parse(line)).filter(line => line.msg === 'answer cut to ANSWER_MAX_BYTES')
  t.match(cut, [{ keptPerObservable: 1, observablesLeftOut: 20 - kept }], 'logged with how many observables were left out')
})

t.test('when not even one observable fits, the answer is the warning and an empty bundle', async t => {
  // a long value repeated in each of a sighting's hundred relations: one sighting is over the limit
  const value = `${'v'.repeat(4000)}.example`
  const outcomes = [readRecords([{ feed_label: ['Phishtank'], reportime: ['2026-10-01'], ip_address: Array.from({ length: 100 }, (_, i) => `192.0.2.${i}`) }])]
  const { answer, keptPerObservable, observablesLeftOut } = observeAnswer([{ type: 'domain', value }], outcomes, { limit: 100, now: Date.now(), validDays: 7, maxBytes: 100_000 })
  t.strictSame(JSON.parse(answerBytes(answer).toString()), { data: {}, errors: [leftOutWarning(1, 100_000)] })
  t.equal(keptPerObservable, 1)
  t.equal(observablesLeftOut, 1)
})

t.test('the cut applies the entity limit first, and keeps the other errors', async t => {
  const { app, simulator } = await buildRelay(t, { ANSWER_MAX_BYTES: String(MAX), CTR_ENTITIES_LIMIT: '10' })
  simulator.script('*', { body: records() })
  const fits = observeBody(t, await post(app, '/observe/observables', OBSERVABLES), 'observe-limit-fits')
  t.notOk(fits.errors, '10 each fit')
  t.equal(fits.data.sightings.count, 50)
  simulator.script('down.example', { status: 503, body: 'slow down' })
  const { app: relay, simulator: other } = await buildRelay(t, { ANSWER_MAX_BYTES: String(MAX) })
  other.script('*', { body: records() })
  other.script('down.example', { status: 503, body: 'slow down' })
  const body = observeBody(t, await post(relay, '/observe/observables', [...OBSERVABLES, { type: 'domain', value: 'down.example' }]), 'observe-answer-cut-partial')
  t.equal(body.errors.length, 2)
  t.match(body.errors[0], { type: 'fatal', code: 'unknown' })
  t.match(body.errors[1], { type: 'warning', code: 'too many entities' })
})
