// Contract §3.2: an answer never grows past ANSWER_MAX_BYTES. Every observable keeps the same
// number of newest sightings, at least one, with what goes with them, and one warning says so.
import { Writable } from 'node:stream'
import t from 'tap'
import { answerBytes, observeAnswer } from '../../lib/relay-answer.js'
import { checkCut, cutWarning, MAX, OBSERVABLES, records } from '../support/answer-size.js'
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

t.test('at least one sighting each, even when one each is over the limit', async t => {
  const { app, simulator } = await buildRelay(t, { ANSWER_MAX_BYTES: '10000' })
  simulator.script('*', { body: records() })
  const many = Array.from({ length: 20 }, (_, i) => ({ type: 'domain', value: `d${i}.example` }))
  const body = observeBody(t, await post(app, '/observe/observables', many), 'observe-answer-cut-to-one')
  t.strictSame(body.errors, [cutWarning(1, 10000)])
  checkCut(t, body, 1, many)
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
