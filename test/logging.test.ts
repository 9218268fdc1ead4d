// Log hygiene: the relay built as server.ts builds it (build-server.ts), logging everything
// it can (level trace) to a captured stream, through succeeding and failing calls of every kind.
// Neither SECRET_KEY, nor any JWT, nor any C1fApp key may appear anywhere in that output.
import t from 'tap'
import { Writable } from 'node:stream'
import { createSigner } from 'fast-jwt'
import { REDACTED_PATHS, serverOptions } from '../build-server.js'
import { readConfig } from '../lib/config.js'
import { buildRelay, C1FAPP_KEY, post, SECRET_KEY, token } from './helper.js'

const WRONG_KEY = 'wrong-c1fapp-key-5f1d0c9a7b3e4d21'
const OTHER_SECRET = 'another-secret-that-is-long-enough-9876543210'

function capture () {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(chunk.toString()); done() } })
  return { lines, stream }
}

t.test('no secret reaches the log, whatever the call', async t => {
  const { lines, stream } = capture()
  const { app, simulator } = await buildRelay(t, { LOG_LEVEL: 'trace' }, { level: 'trace', stream })
  const good = token()
  const wrongKey = token({ key: WRONG_KEY })
  const jwts = {
    good,
    wrongKey,
    otherSecret: token({ key: C1FAPP_KEY }, OTHER_SECRET),
    none: createSigner({ algorithm: 'none' })({ key: C1FAPP_KEY }),
    hs512: createSigner({ key: SECRET_KEY, algorithm: 'HS512' })({ key: C1FAPP_KEY }),
    expired: token({ key: C1FAPP_KEY, exp: 1 }),
    noKey: token({ user: C1FAPP_KEY }),
    numericKey: token({ key: 42 })
  }
  const domain = (value: string) => [{ type: 'domain', value }]

  // upstream answers that carry the key back in every way C1fApp could
  simulator.script('forbidden.example', { status: 403, body: `Invalid API key ${C1FAPP_KEY}` })
  simulator.script('broken.example', { status: 500, body: `{"error":"internal","key":"${C1FAPP_KEY}"}` })
  simulator.script('nonjson.example', { status: 200, body: `<html>key=${C1FAPP_KEY}</html>` })
  simulator.script('notarray.example', { body: { key: C1FAPP_KEY, records: 'none' } })
  simulator.script('redirect.example', { status: 302, headers: { location: `http://127.0.0.1:9/?key=${C1FAPP_KEY}` }, body: `see ?key=${C1FAPP_KEY}` })
  simulator.script('dropped.example', { drop: 'before-headers' })
  simulator.script('echoed.example', { status: 404, body: 'Nothing about echoed.example here' })
  simulator.script('cut.example', { drop: 'mid-body', body: [{ feed_label: ['x'], reportime: ['2026-10-01'], key: C1FAPP_KEY }] })
  simulator.script('bad-records.example', { body: [{ feed_label: [C1FAPP_KEY] }, 'not a record', { reportime: ['2026-10-01'], feed_label: ['Phishtank'] }] })

  const calls: Array<[string, unknown, string | undefined]> = [
    // succeeding calls
    ['/health', undefined, good],
    ['/observe/observables', [...domain('phish.example'), { type: 'ip', value: '192.0.2.10' }], good],
    ['/deliberate/observables', domain('phish.example'), good],
    ['/refer/observables', domain('phish.example'), good],
    // upstream failures
    ['/observe/observables', ['forbidden', 'broken', 'nonjson', 'notarray', 'redirect', 'dropped', 'cut', 'bad-records', 'echoed'].map(name => ({ type: 'domain', value: `${name}.example` })), good],
    ['/health', undefined, wrongKey],
    ['/observe/observables', domain('phish.example'), wrongKey],
    // bad tokens
    ...Object.values(jwts).map((jwt): [string, unknown, string] => ['/observe/observables', domain('phish.example'), jwt]),
    // validation failures
    ['/observe/observables', '{"type":', good],
    ['/observe/observables', [{ type: 'domain' }], good],
    ['/observe/observables', [{ type: 'domain', value: 'x'.repeat(5000) }], good]
  ]
  for (const [url, body, jwt] of calls) {
    await post(app, url, body, jwt === undefined ? {} : { authorization: `Bearer ${jwt}` })
  }
  // a failing /health is logged with its reason: C1fApp's text, which here echoes the key
  simulator.script('test.com', { status: 403, body: `Invalid API key ${C1FAPP_KEY}` })
  await post(app, '/health', undefined, { authorization: `Bearer ${good}` })
  // an Authorization header of another scheme still carries a secret
  await post(app, '/health', undefined, { authorization: `Basic ${Buffer.from(`user:${C1FAPP_KEY}`).toString('base64')}` })
  await post(app, '/health', undefined, { authorization: `Token ${good}` })
  await app.inject({ method: 'GET', url: '/watchdog', headers: { 'health-check': 'x', authorization: `Bearer ${good}` } })
  await app.close()

  const log = lines.join('')
  // the capture works, and saw every kind of call: requests, answers, error codes
  t.ok(lines.length >= calls.length * 2, `${lines.length} log lines`)
  for (const line of lines) t.doesNotThrow(() => JSON.parse(line), 'every line is JSON')
  t.match(log, /"msg":"incoming request"/)
  t.match(log, /"msg":"request completed"/)
  for (const code of ['forbidden', 'authorization error', 'invalid argument']) t.match(log, `"code":"${code}"`)
  t.match(log, /Unexpected response from C1fApp: Invalid API key <key>/, 'upstream text is logged, with the key cut out')
  const lookups = lines.map(line => JSON.parse(line)).filter(entry => entry.msg === 'C1fApp lookup failed')
  t.strictSame(lookups.map(entry => [entry.level, entry.code]).sort(), [
    [40, 'connection error'], [40, 'connection error'], [40, 'forbidden'], [40, 'forbidden'], [40, 'forbidden'], [40, 'key error'], [40, 'key error'], [40, 'not found'], [40, 'unknown'], [40, 'unknown']
  ], 'every failed lookup inside an observe answer is logged as a warning with its code')
  for (const entry of lookups) {
    t.match(entry, { reqId: /^req-/, observableType: 'domain' }, "a lookup warning names the call's reqId and the observable's type")
    t.notMatch(JSON.stringify(entry), /\w\.example/, 'never the value')
  }
  t.ok(lookups.some(entry => entry.reason === 'Unexpected response from C1fApp: Nothing about <value> here'), "C1fApp's text is logged without the value it echoes")

  const secrets: Record<string, string> = {
    SECRET_KEY,
    OTHER_SECRET,
    'the C1fApp key': C1FAPP_KEY,
    'the wrong C1fApp key': WRONG_KEY,
    'the Basic credentials': Buffer.from(`user:${C1FAPP_KEY}`).toString('base64')
  }
  for (const [name, jwt] of Object.entries(jwts)) {
    secrets[`JWT ${name}`] = jwt
    const [, payload, signature] = jwt.split('.')
    secrets[`JWT ${name}'s payload`] = payload
    if (signature !== '') secrets[`JWT ${name}'s signature`] = signature
  }
  for (const [name, secret] of Object.entries(secrets)) {
    t.notOk(log.includes(secret), `${name} is not in the log`)
  }
})

t.test('bad configuration is reported without the value', async t => {
  const { lines, stream } = capture()
  const { app } = await buildRelay(t, { CTR_ENTITIES_LIMIT: SECRET_KEY }, { level: 'trace', stream })
  await app.close()
  const log = lines.join('')
  t.match(log, /CTR_ENTITIES_LIMIT must be a positive integer/)
  t.notOk(log.includes(SECRET_KEY))
})

t.test('server.ts logs to standard output, with the same redaction; the tests log nowhere or to their stream', async t => {
  const timeouts = { requestTimeout: 10000, connectionTimeout: 60000, http: { headersTimeout: 10000, connectionsCheckingInterval: 1000 } }
  const { config } = readConfig({ SECRET_KEY })
  const fixed = { ...timeouts, trustProxy: false, return503OnClosing: false }
  t.strictSame(serverOptions(config, { level: 'warn' }), { ...fixed, logger: { level: 'warn', redact: REDACTED_PATHS } })
  t.strictSame(REDACTED_PATHS, ['req.headers.authorization'])
  t.strictSame(serverOptions(config, false), { ...fixed, logger: false })
  const { stream } = capture()
  t.equal((serverOptions(config, { level: 'trace', stream }).logger as { stream: unknown }).stream, stream)
})
