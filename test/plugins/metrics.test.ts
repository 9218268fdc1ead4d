// Contract §5, metrics: GET /metrics on a listener of its own, never on the relay's port; the
// counters say what happened; no line holds a key, a token or an observable value.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { readConfig } from '../../lib/config.js'
import { callOutcome, c1fappOutcome, envelopeOutcome } from '../../lib/metric-labels.js'
import { RelayError } from '../../lib/relay-error.js'
import { freePort } from '../support/redis.js'
import { bearer, buildApp, buildRelay, C1FAPP_KEY, post, SECRET_KEY, token } from '../helper.js'
import { startRedis } from '../support/redis.js'

const record = { feed_label: ['Phishtank'], reportime: ['2026-10-01'], confidence: [90], assessment: ['phishing'], domain: ['a.example'] }
const observe = (...values: string[]) => values.map(value => ({ type: 'domain', value }))

async function scrape (app: FastifyInstance, path = '/metrics', method = 'GET'): Promise<{ status: number, type: string | null, text: string }> {
  const { address, family, port } = app.metrics.address()!
  const host = family === 'IPv6' ? `[${address}]` : address
  const response = await fetch(`http://${host}:${port}${path}`, { method })
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() }
}

/** The value of one series, e.g. `relay_calls_total{route="/health",outcome="ok"}`; 0 when absent. */
function value (text: string, series: string): number {
  const line = text.split('\n').find(line => line.startsWith(`${series} `))
  return line === undefined ? 0 : Number(line.slice(series.length + 1))
}

t.test('the duration histograms are in seconds', async t => {
  // Each call waits 200 ms for C1fApp: in seconds a duration is between that and the test's own
  // measure of the calls; in milliseconds it would be a thousand times as much.
  const { app, simulator } = await buildRelay(t, { METRICS_PORT: '0' })
  simulator.script('slow.example', { delayMs: 200, body: [record] })
  const started = performance.now()
  for (let i = 0; i < 2; i++) await post(app, '/observe/observables', observe('slow.example'))
  const elapsed = (performance.now() - started) / 1000
  const { text } = await scrape(app)
  for (const histogram of ['relay_call_duration_seconds{route="/observe/observables"}', 'relay_c1fapp_request_duration_seconds{outcome="records"}']) {
    const [name, labels] = histogram.split('{')
    t.equal(value(text, `${name}_count{${labels}`), 2, `${histogram}: two observations`)
    const sum = value(text, `${name}_sum{${labels}`)
    t.ok(sum >= 0.38 && sum <= elapsed, `${histogram}: ${sum} s in all, at least 2 × 0.2 s and at most the ${elapsed.toFixed(3)} s the calls took`)
    t.match(text, `\n${name}_bucket{le="0.1",${labels} 0\n`, `${histogram}: no call under 0.1 s`)
  }
})

t.test('after known traffic the counters say what happened', async t => {
  const { app, simulator } = await buildRelay(t, { METRICS_PORT: '0', CACHE_TTL_S: '60' })
  simulator.script('a.example', { body: [record] })
  simulator.script('none.example', { body: [] })
  simulator.script('bad.example', { status: 500, body: 'oops' })
  simulator.script('test.com', { status: 403, body: 'Invalid API key' })
  const observed = observe('a.example', 'none.example', 'bad.example')
  await post(app, '/observe/observables', observed)
  await post(app, '/observe/observables', observed)
  await post(app, '/observe/observables', observe('a.example'))
  await post(app, '/health')
  await post(app, '/health', undefined, {})
  await post(app, '/observe/observables', 'not json')
  await app.inject({ method: 'GET', url: '/watchdog', headers: { 'health-check': 'x' } })
  await app.inject({ method: 'GET', url: '/nowhere' })
  await post(app, '/respond/trigger', {})

  const { status, type, text } = await scrape(app)
  t.equal(status, 200)
  t.match(type, /^text\/plain; version=0\.0\.4/)
  const expected: Record<string, number> = {
    'relay_calls_total{route="/observe/observables",outcome="partial"}': 2,
    'relay_calls_total{route="/observe/observables",outcome="ok"}': 1,
    'relay_calls_total{route="/observe/observables",outcome="error"}': 1,
    'relay_calls_total{route="/health",outcome="error"}': 2,
    'relay_calls_total{route="/watchdog",outcome="ok"}': 1,
    'relay_calls_total{route="/respond/trigger",outcome="failure"}': 1,
    'relay_calls_total{route="/respond/trigger",outcome="ok"}': 0,
    'relay_calls_total{route="unmatched",outcome="client_error"}': 1,
    'relay_call_duration_seconds_count{route="/observe/observables"}': 4,
    'relay_call_duration_seconds_count{route="/health"}': 2,
    'relay_c1fapp_requests_total{outcome="records"}': 1,
    'relay_c1fapp_requests_total{outcome="nothing found"}': 1,
    'relay_c1fapp_requests_total{outcome="unknown"}': 2,
    'relay_c1fapp_requests_total{outcome="forbidden"}': 1,
    'relay_c1fapp_request_duration_seconds_count{outcome="unknown"}': 2,
    'relay_cache_hits_total{kind="memory"}': 3,
    'relay_cache_misses_total{kind="memory"}': 4,
    'relay_cache_errors_total{kind="memory"}': 0,
    'relay_cache_hits_total{kind="redis"}': 0,
    relay_circuit_breakers_open: 0,
    relay_answers_cut_total: 0
  }
  for (const [series, count] of Object.entries(expected)) t.equal(value(text, series), count, series)
  t.match(text, /^process_cpu_user_seconds_total \d/m, "the process' own metrics")
  t.match(text, /^nodejs_heap_size_used_bytes \d/m)

  app.metrics.answerCut()
  t.equal(value((await scrape(app)).text, 'relay_answers_cut_total'), 1, 'the routes count a cut answer with fastify.metrics.answerCut()')
  for (const secret of [SECRET_KEY, C1FAPP_KEY, token(), 'a.example', 'none.example', 'bad.example', 'test.com', 'Invalid API key']) {
    t.notOk(text.includes(secret), `no ${secret.slice(0, 12)}… in any line`)
  }
})

t.test('only GET /metrics, only on its own listener', async t => {
  const { app } = await buildRelay(t, { METRICS_PORT: '0' })
  t.equal(app.metrics.address()!.address, '127.0.0.1', 'METRICS_HOST defaults to HOST')
  t.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 404, "not on the relay's port")
  t.equal((await scrape(app, '/')).status, 404)
  t.equal((await scrape(app, '/metrics?x=1')).status, 404)
  t.equal((await scrape(app, '/metrics', 'POST')).status, 404)
  await app.close()
  t.equal(app.metrics.address(), undefined, 'closed with the relay')
})

t.test('METRICS_HOST; no listener without METRICS_PORT, nor on Lambda', async t => {
  const hosted = await buildApp(t, { METRICS_PORT: '0', METRICS_HOST: '::1', HOST: '0.0.0.0' })
  t.equal(hosted.metrics.address()!.address, '::1')
  t.equal((await scrape(hosted)).status, 200)
  t.equal((await buildApp(t)).metrics.address(), undefined)
  t.equal((await buildApp(t, { METRICS_PORT: '0', AWS_LAMBDA_FUNCTION_NAME: 'c1fapp-relay' })).metrics.address(), undefined)
})

t.test('on Lambda nothing is counted: no registry, every count a no-op', async t => {
  const { metrics } = await buildApp(t, { METRICS_PORT: '0', AWS_LAMBDA_FUNCTION_NAME: 'c1fapp-relay' })
  t.equal(metrics.registry, undefined)
  for (const count of [() => metrics.c1fappRequest('records', 0.1), () => metrics.cacheHit('memory'), () => metrics.cacheMiss('memory'),
    () => metrics.cacheError('redis'), () => metrics.watchOpenBreakers(() => 1), () => metrics.answerCut(), () => metrics.authorizationFailure(),
    () => metrics.quotaHeld(), () => metrics.healthUnprobed()]) {
    t.equal(count(), undefined)
  }
})

t.test('open circuit breakers', async t => {
  const { app, simulator } = await buildRelay(t, { METRICS_PORT: '0', C1FAPP_BREAKER_FAILURES: '1' })
  simulator.script('*', { status: 503, body: 'busy' })
  await post(app, '/health')
  await post(app, '/health', undefined, bearer(token({ key: 'another-users-key' })))
  await post(app, '/health')
  const { text } = await scrape(app)
  t.equal(value(text, 'relay_circuit_breakers_open'), 2)
  t.equal(value(text, 'relay_c1fapp_requests_total{outcome="unknown"}'), 2, 'a lookup the breaker refused asked nothing')
})

t.test('Redis hits, misses and errors', async t => {
  const redis = await startRedis(t)
  const { app, simulator } = await buildRelay(t, { METRICS_PORT: '0', CACHE_TTL_S: '60', CACHE_REDIS_URL: redis.url })
  simulator.script('*', { body: [record] })
  await post(app, '/observe/observables', observe('a.example', 'b.example'))
  await post(app, '/observe/observables', observe('a.example'))
  await redis.stop()
  await post(app, '/observe/observables', observe('a.example'))
  const { text } = await scrape(app)
  t.equal(value(text, 'relay_cache_hits_total{kind="redis"}'), 1)
  t.equal(value(text, 'relay_cache_misses_total{kind="redis"}'), 3)
  t.ok(value(text, 'relay_cache_errors_total{kind="redis"}') >= 2, 'the read and the write failed')
  t.equal(value(text, 'relay_cache_hits_total{kind="memory"}') + value(text, 'relay_cache_misses_total{kind="memory"}'), 0)
  t.notOk(text.includes(redis.url))
})

t.test('METRICS_PORT must not be the relay\'s port', async t => {
  t.throws(() => readConfig({ SECRET_KEY, PORT: '8080', METRICS_PORT: '8080' }), { message: /^Invalid configuration: METRICS_PORT is invalid: it must be the TCP port, other than PORT, / })
  t.equal(readConfig({ SECRET_KEY, PORT: '0', METRICS_PORT: '0' }).config.METRICS_PORT, 0, 'both chosen by the system')
  t.equal(readConfig({ SECRET_KEY, METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' }).config.METRICS_HOST, '0.0.0.0')
  t.throws(() => readConfig({ SECRET_KEY, METRICS_HOST: 'a b' }), { message: /METRICS_HOST is invalid/ })
})

t.test('the label values are a few fixed words', async t => {
  t.equal(envelopeOutcome({ data: {} }), 'ok')
  t.equal(envelopeOutcome({ data: { sightings: { count: 0, docs: [{ description: '"errors":[x' }] } } }), 'ok', 'a value that reads like an errors member is none')
  t.equal(envelopeOutcome({ data: {}, errors: [] }), 'partial')
  t.equal(envelopeOutcome({ errors: [] }), 'error')
  t.equal(envelopeOutcome({ data: { status: 'failure' } }), 'failure', "respond/trigger's answer")
  t.equal(envelopeOutcome({ data: { status: 'ok' } }), 'ok', "/health's answer")
  t.equal(envelopeOutcome('{"errors":[]}'), null, 'a string, a buffer or a stream (the documentation) is no envelope')
  t.equal(envelopeOutcome(null), null)
  t.equal(callOutcome(200, 'partial'), 'partial')
  t.equal(callOutcome(200, null), 'ok')
  t.equal(callOutcome(404, 'ok'), 'client_error')
  t.equal(callOutcome(500, 'error'), 'server_error')
  t.equal(c1fappOutcome(1), 'records')
  t.equal(c1fappOutcome(0), 'nothing found')
  t.equal(c1fappOutcome(new RelayError('too many requests', 'quota')), 'too many requests')
})

t.test('a metrics port already taken stops start-up', async t => {
  const port = await freePort()
  const taken = await buildApp(t, { METRICS_PORT: String(port) })
  t.equal(taken.metrics.address()!.port, port)
  await t.rejects(buildApp(t, { METRICS_PORT: String(port) }), { code: 'EADDRINUSE' })
})

t.test('one value asked under two types is one lookup', async t => {
  const { app, simulator } = await buildRelay(t, { METRICS_PORT: '0' })
  simulator.script('*', { body: [record] })
  await post(app, '/observe/observables', [{ type: 'domain', value: 'a.example' }, { type: 'url', value: 'a.example' }])
  t.equal(simulator.requests.length, 1)
  t.equal(value((await scrape(app)).text, 'relay_c1fapp_requests_total{outcome="records"}'), 1)
})
