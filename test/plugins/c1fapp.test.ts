// Contract §2: every kind of C1fApp answer, scripted on the simulator, as the analyst sees it
// through /health (and /observe/observables where it differs).
import t from 'tap'
import { once } from 'node:events'
import https from 'node:https'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import selfsigned from 'selfsigned'
import { BROKEN_MESSAGE, MESSAGE_BODY_LIMIT, transportError } from '../../lib/c1fapp/answer.js'
import { HEALTH_PROBE_VALUE } from '../../routes/health.js'
import { startSimulator } from '../../simulator/server.js'
import { bearer, buildApp, buildRelay, C1FAPP_KEY, fatal, healthOk, observeBody, post, saveAnswer, token } from '../helper.js'
import { logEntries } from '../support/redis.js'

t.test('/health asks C1fApp about one harmless value', async t => {
  const { app, simulator } = await buildRelay(t)
  const ok = (await post(app, '/health')).json()
  t.strictSame(ok, healthOk(1))
  saveAnswer('health', 'health-ok', ok)
  t.strictSame(JSON.parse(simulator.requests[0].body), { key: C1FAPP_KEY, format: 'json', backend: 'es', request: HEALTH_PROBE_VALUE })
  t.strictSame((await post(app, '/health', '')).json(), healthOk(2), 'an empty JSON body is no body')
  t.strictSame((await post(app, '/health', {})).json(), healthOk(3), 'a body is ignored')
})

t.test("C1fApp's answers for values it cannot search mean nothing found, whatever the status", async t => {
  const { app, simulator } = await buildRelay(t)
  for (const text of ['Unsupported request ? IPv4/Domain only', 'Empty Search! Available search: IPv4/URL/Domain']) {
    for (const status of [200, 400, 500]) {
      simulator.script('*', { status, body: text })
      const health = (await post(app, '/health')).json()
      t.strictSame(health, healthOk(simulator.requests.length), `${status} ${text}: every request C1fApp saw counted`)
      t.strictSame(observeBody(t, await post(app, '/observe/observables', [{ type: 'ip', value: '2001:db8::1' }]), 'observe-unsupported'), { data: {} })
    }
  }
  simulator.reset()
  t.strictSame((await post(app, '/observe/observables', [{ type: 'url', value: 'not searchable' }])).json(), { data: {} }, 'the simulator says so itself')
})

t.test('HTTP errors map to the contract codes with the body as message', async t => {
  const { app, simulator } = await buildRelay(t)
  const cases: Array<[number, string, string]> = [
    [400, 'invalid argument', 'Bad Request'],
    [401, 'unauthorized', 'Unauthorized'],
    [403, 'forbidden', 'Invalid API key'],
    [404, 'not found', 'Not Found'],
    [405, 'unknown', 'Method Not Allowed'],
    [500, 'unknown', 'Internal Server Error'],
    [502, 'unknown', 'Bad Gateway'],
    [503, 'unknown', 'Service Unavailable']
  ]
  for (const [status, code, body] of cases) {
    simulator.script('*', { status, body })
    const answer = (await post(app, '/health')).json()
    t.strictSame(answer, fatal(code, `Unexpected response from C1fApp: ${body}`), `HTTP ${status}`)
    saveAnswer('health', `health-${status}`, answer)
  }
  simulator.script('*', { status: 500, body: '' })
  t.strictSame((await post(app, '/health')).json(), fatal('unknown', 'Unexpected response from C1fApp: HTTP 500'), 'an empty body')
})

t.test('the real "bad key" answer', async t => {
  const { app } = await buildRelay(t, {})
  const response = await post(app, '/health', undefined, { authorization: `Bearer ${(await import('../helper.js')).token({ key: 'wrong-key' })}` })
  t.strictSame(response.json(), fatal('forbidden', 'Unexpected response from C1fApp: Invalid API key'))
})

t.test('the body in a message is cut to a sane length and never echoes the key', async t => {
  const { app, simulator } = await buildRelay(t)
  simulator.script('*', { status: 500, body: 'x'.repeat(1000) })
  t.strictSame((await post(app, '/health')).json(), fatal('unknown', `Unexpected response from C1fApp: ${'x'.repeat(MESSAGE_BODY_LIMIT)}…`))
  simulator.script('*', { status: 403, body: `Key ${C1FAPP_KEY} is not allowed` })
  t.strictSame((await post(app, '/health')).json(), fatal('forbidden', 'Unexpected response from C1fApp: Key <key> is not allowed'))
})

t.test('the key in its four forms (plain, JSON-escaped, URL-encoded, HTML-escaped) reaches neither the analyst nor the log', async t => {
  const { entries, logging } = logEntries()
  const { app, simulator } = await buildRelay(t, {}, logging)
  const key = 'k/e"y&<+= 0123456789'
  const forms = [
    key,
    JSON.stringify(key).slice(1, -1),
    encodeURIComponent(key),
    new URLSearchParams({ key }).toString().slice('key='.length),
    key.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('"', '&quot;')
  ]
  t.equal(new Set(forms).size, 5, 'five different texts')
  simulator.script('*', { status: 403, body: `Invalid API key: plain ${forms[0]} json ${forms[1]} url ${forms[2]} form ${forms[3]} html ${forms[4]}` })
  const message = 'Unexpected response from C1fApp: Invalid API key: plain <key> json <key> url <key> form <key> html <key>'
  const headers = bearer(token({ key }))
  t.strictSame((await post(app, '/health', undefined, headers)).json(), fatal('forbidden', message))
  t.strictSame((await post(app, '/observe/observables', [{ type: 'domain', value: 'a.example' }], headers)).json(), fatal('forbidden', message))
  t.equal(JSON.parse(simulator.requests[0].body).key, key, 'C1fApp was asked with the key itself')
  t.match(entries.filter(entry => entry.msg === 'C1fApp lookup failed'), [{ code: 'forbidden', reason: message }], 'the log quotes the same text')
  const log = JSON.stringify(entries)
  t.ok(entries.length > 0, `${entries.length} log lines`)
  for (const form of forms) {
    t.notOk(log.includes(form) || log.includes(JSON.stringify(form).slice(1, -1)), `never in the log: ${form}`)
  }
})

t.test('a redirect is an error and is never followed: it would carry the key to another host', async t => {
  const elsewhere = await startSimulator()
  t.teardown(() => elsewhere.close())
  const { app, simulator } = await buildRelay(t)
  for (const status of [301, 302, 307, 308]) {
    simulator.script('*', { status, body: 'Moved', headers: { location: elsewhere.url } })
    t.strictSame((await post(app, '/health')).json(), fatal('unknown', 'Unexpected response from C1fApp: Moved'), `HTTP ${status}`)
  }
  t.equal(elsewhere.requests.length, 0, 'the other host heard nothing')
})

t.test('a 2xx that is not a JSON array: the module is broken', async t => {
  const { app, simulator } = await buildRelay(t)
  for (const body of [{ records: [] }, 'not json', '', 'null', '"text"', '42']) {
    simulator.script('*', { body })
    t.strictSame((await post(app, '/health')).json(), fatal('key error', BROKEN_MESSAGE), JSON.stringify(body))
  }
  simulator.script('*', { status: 204, body: '' })
  t.strictSame((await post(app, '/health')).json(), fatal('key error', BROKEN_MESSAGE), '204')
})

t.test('connection failures are connection errors that say which', async t => {
  t.test('refused', async t => {
    const server = net.createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    await new Promise(resolve => server.close(resolve))
    const app = await buildApp(t, { C1FAPP_API_URL: `http://127.0.0.1:${port}/cifapp/api/` })
    t.strictSame((await post(app, '/health')).json(), fatal('connection error', 'Unable to connect to C1fApp: the connection was refused (ECONNREFUSED)'))
  })
  t.test('reset before an answer', async t => {
    const { app, simulator } = await buildRelay(t)
    simulator.script('*', { drop: 'before-headers' })
    t.strictSame((await post(app, '/health')).json(), fatal('connection error', 'Unable to connect to C1fApp: the connection was reset (ECONNRESET)'))
  })
  t.test('reset in the middle of the answer', async t => {
    const { app, simulator } = await buildRelay(t)
    simulator.script('*', { drop: 'mid-body', body: [{ feed_label: ['x'], reportime: ['2026-01-01'] }] })
    t.strictSame((await post(app, '/health')).json(), fatal('connection error', 'Unable to connect to C1fApp: the connection was reset (ECONNRESET)'))
  })
  t.test('no answer in time', async t => {
    const { app, simulator } = await buildRelay(t, { C1FAPP_TIMEOUT_MS: '200' })
    simulator.script('*', { delayMs: 2000, body: [] })
    t.strictSame((await post(app, '/health')).json(), fatal('connection error', 'Unable to connect to C1fApp: no answer within 200 ms (ETIMEDOUT)'))
  })
  t.test('an answer that trickles in past the time-out', async t => {
    const { app, simulator } = await buildRelay(t, { C1FAPP_TIMEOUT_MS: '200' })
    simulator.script('*', { trickleMs: 100, body: 'x'.repeat(200) })
    t.strictSame((await post(app, '/health')).json(), fatal('connection error', 'Unable to connect to C1fApp: no answer within 200 ms (ETIMEDOUT)'))
  })
})

t.test('a certificate that cannot be verified', async t => {
  const pems = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048 })
  const server = https.createServer({ key: pems.private, cert: pems.cert }, (req, res) => res.end('[]'))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const { port } = server.address() as AddressInfo
  const app = await buildApp(t, { C1FAPP_API_URL: `https://127.0.0.1:${port}/cifapp/api/` })
  // Node.js 24 adds a hint to its reason ("…; if the root CA is installed locally, try …")
  t.match((await post(app, '/health')).json(), { errors: [{ type: 'fatal', code: 'unknown', message: /^Unable to verify SSL certificate: self-signed certificate(;|$)/ }] })
})

t.test('failures that cannot be staged on loopback', async t => {
  const error = (code: string | undefined, message = 'failed') => transportError({ code, message }, 1000).toEnvelope()
  t.strictSame(error('ENOTFOUND'), { type: 'fatal', code: 'connection error', message: 'Unable to connect to C1fApp: the host name could not be resolved (ENOTFOUND)' })
  t.strictSame(error('EAI_AGAIN'), { type: 'fatal', code: 'connection error', message: 'Unable to connect to C1fApp: the host name could not be resolved at the moment (EAI_AGAIN)' })
  t.strictSame(error('CERT_HAS_EXPIRED', 'certificate has expired'), { type: 'fatal', code: 'unknown', message: 'Unable to verify SSL certificate: certificate has expired' })
  t.strictSame(error('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), { type: 'fatal', code: 'unknown', message: "Unable to verify SSL certificate: Hostname/IP does not match certificate's altnames" })
  t.strictSame(error('EWHATEVER'), { type: 'fatal', code: 'connection error', message: 'Unable to connect to C1fApp: the request failed (EWHATEVER)' })
  t.strictSame(error(undefined, 'odd failure'), { type: 'fatal', code: 'connection error', message: 'Unable to connect to C1fApp: the request failed (odd failure)' })
})
