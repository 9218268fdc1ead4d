// Load shedding and draining (plugins/load-shedding.ts): an overloaded or closing relay refuses
// calls at once, in Threat Response's envelope with Retry-After, and asks C1fApp nothing.
// Pressure is made certain, not timed: a threshold of one byte is crossed by any process.
import t from 'tap'
import { once } from 'node:events'
import { connect, type AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { readConfig } from '../../lib/config.js'
import { overloadError, RETRY_AFTER_SECONDS, SHUTTING_DOWN_MESSAGE } from '../../lib/overload.js'
import { VERSION } from '../../lib/version.js'
import { bearer, buildRelay, fatal, post, SECRET_KEY, healthOk } from '../helper.js'

const observables = [{ type: 'domain', value: 'phish.example' }]

async function waitFor (condition: () => boolean, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(10)) if (condition()) return true
  return condition()
}

/** A relay whose pressure check has taken its first sample (under-pressure samples once a second). */
async function pressedRelay (t: Parameters<typeof buildRelay>[0], env: Record<string, string>) {
  const relay = await buildRelay(t, env)
  t.ok(await waitFor(() => relay.app.isUnderPressure()), 'under pressure')
  return relay
}

const limits = { MAX_EVENT_LOOP_DELAY_MS: 1000, MAX_HEAP_USED_BYTES: 1, MAX_RSS_BYTES: 1 }

t.test('the thresholds are configuration, with documented defaults', async t => {
  const { config } = readConfig({ SECRET_KEY })
  t.equal(config.MAX_EVENT_LOOP_DELAY_MS, 1000)
  t.equal(config.MAX_HEAP_USED_BYTES, undefined, 'unset: 90% of the V8 heap limit')
  t.equal(config.MAX_RSS_BYTES, 0, 'off')
  t.equal(config.SHUTDOWN_GRACE_MS, 25000)
  const read = readConfig({ SECRET_KEY, MAX_EVENT_LOOP_DELAY_MS: '250', MAX_HEAP_USED_BYTES: '536870912', MAX_RSS_BYTES: '0', SHUTDOWN_GRACE_MS: '0' }).config
  t.match(read, { MAX_EVENT_LOOP_DELAY_MS: 250, MAX_HEAP_USED_BYTES: 536870912, MAX_RSS_BYTES: 0, SHUTDOWN_GRACE_MS: 0 })
  t.throws(() => readConfig({ SECRET_KEY, MAX_EVENT_LOOP_DELAY_MS: '-1' }), {
    message: 'Invalid configuration: MAX_EVENT_LOOP_DELAY_MS is invalid: it must be the event-loop delay over which relay calls are refused as overloaded, in milliseconds (0 turns the check off; up to 60000)'
  })
  t.throws(() => readConfig({ SECRET_KEY, MAX_HEAP_USED_BYTES: '1GB' }), { message: /^Invalid configuration: MAX_HEAP_USED_BYTES is invalid: .*\(0 turns the check off; unset: 90% of the V8 heap limit\)$/ })
  t.throws(() => readConfig({ SECRET_KEY, MAX_RSS_BYTES: 'lots' }), { message: /^Invalid configuration: MAX_RSS_BYTES is invalid/ })
  t.throws(() => readConfig({ SECRET_KEY, SHUTDOWN_GRACE_MS: '600001' }), {
    message: 'Invalid configuration: SHUTDOWN_GRACE_MS is invalid: it must be how long in-flight calls may take to finish after SIGTERM or SIGINT before the process exits anyway, in milliseconds (0–600000)'
  })
})

t.test('each kind of pressure is named to the analyst, with the limit that was crossed', async t => {
  const message = (type: string, value: number | undefined) => overloadError(type, value, limits).toEnvelope()
  t.strictSame(message('eventLoopDelay', 1234.4), fatal('too many requests', 'The relay is overloaded (event-loop delay 1234 ms, over MAX_EVENT_LOOP_DELAY_MS=1000, a setting of the module\'s owner); try again in a moment.').errors[0])
  t.strictSame(message('eventLoopDelay', Infinity), fatal('too many requests', 'The relay is overloaded (event-loop delay too long to measure, over MAX_EVENT_LOOP_DELAY_MS=1000, a setting of the module\'s owner); try again in a moment.').errors[0])
  t.strictSame(message('heapUsedBytes', 3 * 1024 * 1024), fatal('too many requests', 'The relay is overloaded (heap used 3.0 MiB, over MAX_HEAP_USED_BYTES=1, a setting of the module\'s owner); try again in a moment.').errors[0])
  t.strictSame(message('rssBytes', 1.5 * 1024 * 1024), fatal('too many requests', 'The relay is overloaded (resident memory 1.5 MiB, over MAX_RSS_BYTES=1, a setting of the module\'s owner); try again in a moment.').errors[0])
  t.strictSame(message('healthCheck', undefined), fatal('too many requests', 'The relay is overloaded (healthCheck); try again in a moment.').errors[0])
  t.strictSame(message('eventLoopUtilization', 0.99), fatal('too many requests', 'The relay is overloaded (eventLoopUtilization); try again in a moment.').errors[0], 'a kind this relay does not configure still answers')
})

t.test('over the heap threshold: relay calls answer too many requests with Retry-After, C1fApp is not asked', async t => {
  const { app, simulator } = await pressedRelay(t, { MAX_HEAP_USED_BYTES: '1' })
  for (const [url, body] of [['/observe/observables', observables], ['/health', undefined], ['/deliberate/observables', observables]] as const) {
    const response = await post(app, url, body)
    t.equal(response.statusCode, 200, url)
    t.equal(response.headers['retry-after'], String(RETRY_AFTER_SECONDS))
    const { errors } = response.json()
    t.equal(errors.length, 1)
    t.match(errors[0], { type: 'fatal', code: 'too many requests', message: /^The relay is overloaded \(heap used \d+\.\d MiB, over MAX_HEAP_USED_BYTES=1, a setting of the module's owner\); try again in a moment\.$/ })
  }
  t.equal(simulator.requests.length, 0)
  const unauthenticated = await post(app, '/observe/observables', observables, {})
  t.match(unauthenticated.json(), { errors: [{ code: 'too many requests' }] }, 'shed before any other work, the token check included')
})

t.test('over the resident-memory threshold, the same', async t => {
  const { app } = await pressedRelay(t, { MAX_RSS_BYTES: '1' })
  const response = await post(app, '/observe/observables', observables)
  t.match(response.json(), { errors: [{ type: 'fatal', code: 'too many requests', message: /^The relay is overloaded \(resident memory \d+\.\d MiB, over MAX_RSS_BYTES=1, a setting of the module's owner\); try again in a moment\.$/ }] })
  t.equal(response.headers['retry-after'], String(RETRY_AFTER_SECONDS))
})

t.test('/watchdog and /version are answered under pressure', async t => {
  const { app } = await pressedRelay(t, { MAX_HEAP_USED_BYTES: '1', MAX_RSS_BYTES: '1' })
  const watchdog = await app.inject({ method: 'GET', url: '/watchdog', headers: { 'health-check': 'alive' } })
  t.strictSame(watchdog.json(), { data: 'alive' })
  t.equal(watchdog.headers['retry-after'], undefined)
  t.strictSame((await post(app, '/version', undefined, {})).json(), { version: VERSION })
})

t.test('with every check off, nothing is shed', async t => {
  const { app } = await buildRelay(t, { MAX_EVENT_LOOP_DELAY_MS: '0', MAX_HEAP_USED_BYTES: '0', MAX_RSS_BYTES: '0' })
  t.equal(app.isUnderPressure(), false)
  t.strictSame((await post(app, '/health')).json(), healthOk(1))
})

/** Writes raw HTTP/1.1 requests on one connection and reads until the server ends it. */
async function pipeline (app: FastifyInstance, requests: string[], between: () => Promise<void>): Promise<string> {
  const { port } = app.server.address() as AddressInfo
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  let received = ''
  socket.on('data', chunk => { received += chunk.toString() })
  const ended = once(socket, 'close')
  socket.write(requests[0])
  await between()
  for (const request of requests.slice(1)) socket.write(request)
  await ended
  return received
}

function rawPost (url: string, body?: unknown): string {
  const text = body === undefined ? '' : JSON.stringify(body)
  return `POST ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${bearer().authorization}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`
}

/** The answers of a connection, in order: status, headers, JSON body. */
function answers (raw: string): Array<{ status: number, headers: Record<string, string>, body: any }> {
  const result = []
  let rest = raw
  while (rest.length > 0) {
    const head = rest.slice(0, rest.indexOf('\r\n\r\n'))
    const [statusLine, ...lines] = head.split('\r\n')
    const headers = Object.fromEntries(lines.map(line => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]))
    const start = head.length + 4
    const length = Number(headers['content-length'])
    result.push({ status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(rest.slice(start, start + length)) })
    rest = rest.slice(start + length)
  }
  return result
}

t.test('while closing, a call in flight finishes with its data and a call that still arrives is refused in the envelope', async t => {
  const { app, simulator } = await buildRelay(t)
  simulator.script('phish.example', { delayMs: 300, body: [] })
  await app.listen({ port: 0, host: '127.0.0.1' })
  let closed: Promise<void> | undefined
  const raw = await pipeline(app, [rawPost('/observe/observables', observables), rawPost('/health')], async () => {
    t.ok(await waitFor(() => simulator.requests.length === 1), 'the first call is in flight')
    closed = app.close()
  })
  await closed
  const [first, second] = answers(raw)
  t.equal(first.status, 200)
  t.strictSame(first.body, { data: {} }, 'the call in flight finished')
  t.equal(second.status, 200)
  t.strictSame(second.body, fatal('unknown', SHUTTING_DOWN_MESSAGE))
  t.equal(second.headers.connection, 'close')
  t.equal(second.headers['retry-after'], String(RETRY_AFTER_SECONDS))
  t.equal(simulator.requests.length, 1, 'the refused call asked C1fApp nothing')
})
