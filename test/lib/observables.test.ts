// Contract §1.1: MAX_OBSERVABLES and MAX_VALUE_LENGTH apply to what the relay looks up, never to
// the body as a whole; what they leave out is told in one warning each, beside the answer's data.
import t from 'tap'
import { observablesToQuery } from '../../lib/observables.js'
import { deliberateAnswer, observeAnswer } from '../../lib/relay-answer.js'
import { RelayError } from '../../lib/relay-error.js'
import { DEMO_OBSERVABLES } from '../../simulator/dataset.js'
import { buildRelay, post, saveAnswer } from '../helper.js'
import { readRecords } from '../../lib/c1fapp/record.js'

const LIMITS = { MAX_OBSERVABLES: 3, MAX_VALUE_LENGTH: 20 }
const ENV = { MAX_OBSERVABLES: '3', MAX_VALUE_LENGTH: '20' }

function warning (message: string) {
  return { type: 'warning', code: 'invalid argument', message }
}

const tooMany = (n: number) => warning(`${n} observable${n === 1 ? ' was' : 's were'} not looked up: only the first 3 distinct domain, ip and url observables of a call are (MAX_OBSERVABLES, a setting of the module's owner).`)
const tooLong = (n: number, where: string) => warning(`${n} observable${n === 1 ? ' was' : 's were'} not looked up: the value is longer than the limit of 20 characters (MAX_VALUE_LENGTH, a setting of the module's owner): ${where}.`)
const domains = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ type: 'domain', value: `h${from + i}.example` }))
const LONG = `${'a'.repeat(13)}.example` // 21 characters

t.test('observablesToQuery: supported types, once each, within the limits', async t => {
  t.strictSame(observablesToQuery([], LIMITS), { observables: [], warnings: [] })
  const body = [
    { type: 'sha256', value: 'f'.repeat(5000) },
    { type: 'domain', value: 'a.example' },
    { type: 'domain', value: 'a.example' },
    { type: 'ip', value: 'a.example' },
    { type: 'url', value: LONG },
    { type: 'url', value: LONG },
    { type: 'domain', value: '😀'.repeat(20) },
    { type: 'domain', value: 'b.example' },
    { type: 'domain', value: 'c.example' },
    { type: 'email', value: 'x@c.example' }
  ]
  const { observables, warnings } = observablesToQuery(body, LIMITS)
  t.strictSame(observables, [{ type: 'domain', value: 'a.example' }, { type: 'ip', value: 'a.example' }, { type: 'domain', value: '😀'.repeat(20) }],
    '20 code points are within the limit, however many UTF-16 units')
  t.strictSame(warnings.map(warning => warning.toEnvelope()), [tooLong(1, `url "${LONG}"`), tooMany(2)], 'the same long value twice is one')
  t.ok(warnings.every(warning => warning instanceof RelayError))
  const lone = observablesToQuery([{ type: 'domain', value: '\ud800'.repeat(20) }, { type: 'domain', value: '\udc00'.repeat(21) }, ...domains(3)], LIMITS)
  t.strictSame(lone.observables, [{ type: 'domain', value: '\ud800'.repeat(20) }, ...domains(2)], 'a lone surrogate is one character')
  t.strictSame(lone.warnings.map(warning => warning.toEnvelope()), [tooLong(1, `domain "${'\\udc00'.repeat(21)}"`), tooMany(1)])
})

t.test('observablesToQuery: at most five observables are named, as typed, a long value by its beginning', async t => {
  const body = Array.from({ length: 7 }, (_, i) => ({ type: i % 2 === 0 ? 'domain' : 'ip', value: `${LONG}${i}` }))
  const { observables, warnings } = observablesToQuery(body, LIMITS)
  t.strictSame(observables, [])
  t.strictSame(warnings.map(warning => warning.toEnvelope()),
    [tooLong(7, [0, 1, 2, 3, 4].map(i => `${i % 2 === 0 ? 'domain' : 'ip'} "${LONG}${i}"`).join(', ') + ' and 2 more')])
  const huge = observablesToQuery([{ type: 'url', value: `http://${'😀'.repeat(5000)}.example/"` }], LIMITS)
  t.strictSame(huge.warnings.map(warning => warning.toEnvelope()), [tooLong(1, `url "http://${'😀'.repeat(33)}…" (5017 characters)`)],
    'the first 40 characters (code points) and the length')
})

t.test('what was left out comes first among the answer\'s errors, also when every lookup failed', async t => {
  const skipped = [new RelayError('invalid argument', 'w', 'warning')]
  const options = { limit: 100, now: 0, validDays: 7, maxBytes: 5000000, skipped }
  const observable = { type: 'domain' as const, value: 'a.example' }
  t.strictSame(observeAnswer([], [], options).answer, { data: Buffer.from('{}'), errors: [warning('w')] }, 'observe\'s bundle is JSON bytes')
  t.strictSame(deliberateAnswer([observable], [readRecords([])], options), { data: {}, errors: [warning('w')] })
  const failed = [new RelayError('unknown', 'x')]
  t.strictSame(observeAnswer([observable], failed, options).answer, { errors: [warning('w'), { type: 'fatal', code: 'unknown', message: 'x' }] })
  t.strictSame(deliberateAnswer([observable], failed, { ...options, skipped: undefined }), { errors: [{ type: 'fatal', code: 'unknown', message: 'x' }] })
})

t.test('values of skipped types are skipped whatever their length', async t => {
  const { app, simulator } = await buildRelay(t, ENV)
  const body = [{ type: 'sha256', value: 'f'.repeat(5000) }, { type: 'email', value: `${'x'.repeat(100)}@a.example` }, ...domains(1)]
  for (const route of ['/observe/observables', '/deliberate/observables']) {
    t.strictSame((await post(app, route, body)).json(), { data: {} }, route)
  }
  t.strictSame((await post(app, '/refer/observables', body)).json(), { data: [] })
  t.strictSame(simulator.requests.map(request => JSON.parse(request.body).request), ['h0.example', 'h0.example'], 'observe, then deliberate (no cache here)')
})

t.test('past MAX_OBSERVABLES, the first ones are answered and one warning says how many were left out', async t => {
  const { app, simulator } = await buildRelay(t, ENV)
  t.strictSame((await post(app, '/observe/observables', domains(3))).json(), { data: {} }, 'at the limit: no warning')
  simulator.reset()
  simulator.requests.length = 0
  const body = [{ type: 'sha256', value: 'x' }, ...domains(3), ...domains(3), ...domains(4, 3)]
  const observe = (await post(app, '/observe/observables', body)).json()
  t.strictSame(observe, { data: {}, errors: [tooMany(4)] })
  t.notMatch(observe.errors[0].message, /^Invalid JSON payload received/)
  t.strictSame(simulator.requests.map(request => JSON.parse(request.body).request), ['h0.example', 'h1.example', 'h2.example'])
  t.strictSame((await post(app, '/deliberate/observables', body)).json(), { data: {}, errors: [tooMany(4)] })
})

t.test('a looked-up value over MAX_VALUE_LENGTH is skipped with one warning; the others are answered', async t => {
  const { app, simulator } = await buildRelay(t, ENV)
  const found = DEMO_OBSERVABLES[1] // the ip: within 20 characters
  const body = [{ type: 'domain', value: LONG }, found, { type: 'url', value: `http://${LONG}` }]
  const answer = (await post(app, '/observe/observables', body)).json()
  t.strictSame(answer.errors, [tooLong(2, `domain "${LONG}", url "http://${LONG}"`)])
  t.ok(answer.data.sightings.count > 0, 'the value within the limit is answered')
  t.ok(answer.data.sightings.docs.every((sighting: { observables: unknown[] }) => sighting.observables.length === 1), 'about it alone')
  saveAnswer('observe', 'limits-value-too-long', answer)
  t.strictSame(simulator.requests.map(request => JSON.parse(request.body).request), [found.value])
  const deliberate = (await post(app, '/deliberate/observables', body)).json()
  t.strictSame(deliberate.errors, [tooLong(2, `domain "${LONG}", url "http://${LONG}"`)])
  const withoutTime = ({ valid_time: _time, judgement_id: _id, ...verdict }: Record<string, unknown>) => verdict
  t.strictSame(deliberate.data.verdicts.docs.map(withoutTime), answer.data.verdicts.docs.map(withoutTime), "observe's verdicts for the value within the limit")
  saveAnswer('deliberate', 'limits-value-too-long', deliberate)
})

t.test('the warnings stay when every lookup fails, and nothing but them when nothing is looked up', async t => {
  const { app, simulator } = await buildRelay(t, ENV)
  simulator.script('*', { status: 500, body: 'down' })
  const body = [{ type: 'ip', value: LONG }, ...domains(5)]
  const answer = (await post(app, '/observe/observables', body)).json()
  t.strictSame(answer, {
    errors: [tooLong(1, `ip "${LONG}"`), tooMany(2), { type: 'fatal', code: 'unknown', message: 'Unexpected response from C1fApp: down' }]
  })
  saveAnswer('observe', 'limits-and-failures', answer)
  const none = (await post(app, '/observe/observables', [{ type: 'url', value: LONG }])).json()
  t.strictSame(none, { data: {}, errors: [tooLong(1, `url "${LONG}"`)] })
})
