// What the log says at which level (docs/operations.md, "Logs"): what points at a deployment
// problem is a warning, so that LOG_LEVEL=warn shows it; what a client's input caused (an analyst's
// body, anyone's token) is info.
// And the configuration token's failure paths, logged at trace, leak no token, payload or key.
import t from 'tap'
import { Writable } from 'node:stream'
import { CircuitBreaker } from '../../lib/c1fapp/circuit-breaker.js'
import { RelayError } from '../../lib/relay-error.js'
import { bearer, buildRelay, C1FAPP_KEY, post, token } from '../helper.js'
import { configurationEnv, configurationToken, RELAY_PUBLIC_URL, signingKey, startJwksServer } from '../support/jwks.js'

function capture () {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(chunk.toString()); done() } })
  return { stream, text: () => lines.join(''), entries: () => lines.map(line => JSON.parse(line)) }
}

const answered = (entries: any[]) => entries.filter(entry => entry.msg === 'answered with an error').map(entry => [entry.level, entry.code])

t.test('deployment problems at warn, analyst input at info', async t => {
  const log = capture()
  const { app, simulator } = await buildRelay(t, { C1FAPP_BREAKER_FAILURES: '2', C1FAPP_BREAKER_COOLDOWN_S: '60' }, { level: 'info', stream: log.stream })
  await post(app, '/health', undefined, bearer(token({ key: C1FAPP_KEY }, 'a-wrong-secret-that-is-long-enough-000000')))
  await post(app, '/observe/observables', '{"type":')
  await app.inject({ method: 'GET', url: '/watchdog' })
  simulator.script('test.com', { status: 403, body: 'Invalid API key' })
  await post(app, '/health')
  simulator.script('test.com', { status: 401, body: 'Unauthorized' })
  await post(app, '/health')
  t.strictSame(answered(log.entries()), [
    [30, 'authorization error'], [30, 'invalid argument'], [30, 'health check failed'], [40, 'forbidden'], [40, 'unauthorized']
  ])

  simulator.script('test.com', { status: 503, body: 'Service Unavailable' })
  for (let i = 0; i < 4; i++) await post(app, '/health')
  const opened = log.entries().filter(entry => /^circuit breaker opened/.test(entry.msg))
  t.strictSame(opened.map(entry => [entry.level, entry.code, entry.cooldownS]), [[40, 'unknown', 60]], 'the opening, once, at warn')
})

t.test('an anonymous bad token: logged at info, never warn, and counted', async t => {
  const log = capture()
  const { app } = await buildRelay(t, { METRICS_PORT: '0' }, { level: 'info', stream: log.stream })
  const scrape = async () => {
    const { port } = app.metrics.address()!
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    return Number(/^relay_authorization_failures_total (\d+)$/m.exec(text)?.[1])
  }
  t.equal(await scrape(), 0, 'exported from the start')
  const anonymous = [{}, { authorization: 'Bearer' }, { authorization: 'Basic dXNlcjpwYXNz' }, { authorization: 'Bearer not.a.jwt' },
    bearer(token({ key: C1FAPP_KEY }, 'an-attackers-own-secret-that-is-long-enough'))]
  for (const headers of anonymous) await post(app, '/observe/observables', [{ type: 'domain', value: 'a.example' }], headers)
  t.strictSame(answered(log.entries()), anonymous.map(() => [30, 'authorization error']), 'each at info')
  t.equal(log.entries().filter(entry => entry.level >= 40).length, 0, 'nothing at warn: LOG_LEVEL=warn stays quiet')
  t.equal(await scrape(), anonymous.length, 'relay_authorization_failures_total counts them')
  await post(app, '/observe/observables', [], bearer())
  t.equal(await scrape(), anonymous.length, 'a good token is not counted')
})

t.test('a configuration token whose jwks_host is off the allow-list: the host and why, at info; never contacted', async t => {
  const keyA = signingKey('key-a')
  const jwks = await startJwksServer([keyA])
  t.teardown(() => jwks.close())
  const log = capture()
  const { app } = await buildRelay(t, configurationEnv(jwks), { level: 'info', stream: log.stream })
  const offList = 'visibility.attacker.example'
  const answer = await post(app, '/observe/observables', [], bearer(configurationToken(keyA, offList, { key: C1FAPP_KEY })))
  t.match(answer.json(), { errors: [{ code: 'authorization error', message: /Wrong jwks_host/ }] })
  t.strictSame(log.entries().filter(entry => entry.msg === 'jwks_host refused').map(entry => [entry.level, entry.jwksHost, entry.reason]),
    [[30, offList, 'not on JWKS_HOSTS: never contacted']])
  await post(app, '/observe/observables', [], bearer(configurationToken(keyA, 'x'.repeat(5000), { key: C1FAPP_KEY })))
  t.equal(log.entries().filter(entry => entry.msg === 'jwks_host refused')[1].jwksHost, 'x'.repeat(253), 'a long host is cut')
})

t.test('load shedding at warn', async t => {
  const log = capture()
  const { app } = await buildRelay(t, { MAX_HEAP_USED_BYTES: '1' }, { level: 'info', stream: log.stream })
  for (let i = 0; i < 100 && !app.isUnderPressure(); i++) await new Promise(resolve => setTimeout(resolve, 20))
  await post(app, '/observe/observables', [])
  t.strictSame(answered(log.entries()), [[40, 'too many requests']])
})

t.test('the circuit breaker says the time actually left', async t => {
  const openings: string[] = []
  const breaker = new CircuitBreaker(2, 30_000, error => openings.push(error.code))
  const failure = new RelayError('connection error', 'Unable to connect to C1fApp: the connection was refused (ECONNREFUSED)')
  breaker.failure('k', failure, 0)
  t.equal(breaker.check('k', 0), undefined, 'one failure: not open')
  breaker.failure('k', failure, 1000)
  t.strictSame(openings, ['connection error'])
  const message = (now: number) => breaker.check('k', now)?.message
  t.match(message(1000), /the relay asks C1fApp again in 30 s\)$/)
  t.match(message(21_000), /the relay asks C1fApp again in 10 s\)$/)
  t.match(message(30_001), /the relay asks C1fApp again in 1 s\)$/)
  t.equal(message(31_000), undefined, 'closed once the cooldown is over')
})

t.test('the configuration token\'s failure paths leak no token, payload or key into the log', async t => {
  const keyA = signingKey('key-a')
  const jwks = await startJwksServer([keyA])
  t.teardown(() => jwks.close())
  const hung = await startJwksServer([keyA])
  hung.mode = 'hang'
  t.teardown(() => hung.close())
  const down = await startJwksServer([keyA])
  const downHost = down.host
  await down.close()
  const log = capture()
  const secretKey = 'configuration-users-c1fapp-key-7d3e9f'
  const { app } = await buildRelay(t, configurationEnv(jwks, { JWKS_HOSTS: [jwks.host, hung.host, downHost].join(','), JWKS_TIMEOUT_MS: '200', LOG_LEVEL: 'trace' }), { level: 'trace', stream: log.stream })
  const claims = { key: secretKey }
  const jwts = {
    'JWKS host down': configurationToken(keyA, downHost, claims),
    'JWKS host hung': configurationToken(keyA, hung.host, claims),
    'unknown kid': configurationToken(signingKey('key-z'), jwks.host, claims),
    'wrong audience': configurationToken(keyA, jwks.host, { ...claims, aud: 'https://elsewhere.example' }),
    expired: configurationToken(keyA, jwks.host, { ...claims, exp: 1 }),
    good: configurationToken(keyA, jwks.host, claims)
  }
  for (const jwt of Object.values(jwts)) await post(app, '/observe/observables', [{ type: 'domain', value: 'phish.example' }], bearer(jwt))
  await app.close()
  const text = log.text()
  t.strictSame(log.entries().filter(entry => entry.msg === 'JWKS not fetched').map(entry => [entry.level, entry.jwksHost]).sort(),
    [[40, downHost], [40, hung.host]].sort(), 'the hosts that could not be reached are named, at warn')
  t.notOk(text.includes(secretKey), 'the C1fApp key is not in the log')
  t.notOk(text.includes(RELAY_PUBLIC_URL) && text.includes('"aud"'), 'no claim set')
  for (const [name, jwt] of Object.entries(jwts)) {
    const [header, payload, signature] = jwt.split('.')
    t.notOk(text.includes(jwt), `${name}: the JWT is not in the log`)
    t.notOk(text.includes(payload), `${name}: its payload is not in the log`)
    t.notOk(text.includes(signature), `${name}: its signature is not in the log`)
    t.ok(header.length > 0)
  }
})
