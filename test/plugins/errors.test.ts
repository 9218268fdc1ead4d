// What a client on the Internet can make the relay do before any token is checked (contract §1):
// unknown routes answered before their body is read, small bodies where no token is asked for, the
// 4xx a request earns (never a 500, never an error-level log), slow clients cut off.
import t, { type Test } from 'tap'
import { once } from 'node:events'
import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { buildServer } from '../../build-server.js'
import { readConfig } from '../../lib/config.js'
import { UNAUTHENTICATED_BODY_BYTES } from '../../plugins/security.js'
import { buildApp, fatal, SECRET_KEY } from '../helper.js'

function capture () {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(chunk.toString()); done() } })
  return { stream, entries: () => lines.map(line => JSON.parse(line)) }
}

async function listening (t: Test) {
  const log = capture()
  const app = await buildApp(t, {}, { level: 'info', stream: log.stream })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, log, port: (app.server.address() as AddressInfo).port }
}

/** A GET with the path exactly as written (no client normalises it). */
async function rawGet (port: number, path: string): Promise<{ status: number, body: string }> {
  const response = await new Promise<http.IncomingMessage>(resolve => http.get({ port, host: '127.0.0.1', path }, resolve))
  let body = ''
  for await (const chunk of response) body += chunk
  return { status: response.statusCode as number, body }
}

t.test('an unknown route answers 404 before its body is read', async t => {
  const app = await buildApp(t)
  const response = await app.inject({ method: 'POST', url: '/nowhere', headers: { 'content-type': 'application/json' }, payload: '{"not json' })
  t.equal(response.statusCode, 404)
  t.strictSame(response.json(), fatal('not found', 'Unknown route: POST /nowhere'))

  // a body announced but never sent: the answer comes without waiting for it
  const { port } = await listening(t)
  const socket = net.connect(port, '127.0.0.1')
  socket.write('POST /nowhere HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{')
  let answer = ''
  socket.on('data', chunk => { answer += chunk })
  while (!answer.includes('Unknown route')) await once(socket, 'data')
  t.match(answer, /^HTTP\/1\.1 404 /)
  socket.destroy()
})

t.test('routes without a token read small bodies only', async t => {
  const app = await buildApp(t)
  const big = JSON.stringify({ padding: 'x'.repeat(UNAUTHENTICATED_BODY_BYTES) })
  const version = await app.inject({ method: 'POST', url: '/version', headers: { 'content-type': 'application/json' }, payload: big })
  t.strictSame(version.json(), fatal('invalid argument', `The request body is larger than the limit of ${UNAUTHENTICATED_BODY_BYTES} bytes.`))
  const small = await app.inject({ method: 'POST', url: '/version', headers: { 'content-type': 'application/json' }, payload: '{"a":1}' })
  t.match(small.json(), { version: String })
  const observe = await app.inject({ method: 'POST', url: '/refer/observables', headers: { 'content-type': 'application/json' }, payload: JSON.stringify([{ type: 'domain', value: 'x'.repeat(2000) }]) })
  t.notMatch(observe.body, /larger than the limit/, 'the authenticated routes keep MAX_BODY_BYTES')
})

t.test('a path @fastify/static refuses answers 403, logged at info', async t => {
  const { log, port } = await listening(t)
  for (const path of ['/documentation/static/../../../package.json', '/documentation/static/%2e%2e/%2e%2e/package.json']) {
    const { status, body } = await rawGet(port, path)
    t.equal(status, 403, path)
    t.strictSame(JSON.parse(body), fatal('forbidden', 'Forbidden'), path)
    t.notMatch(body, /"name"\s*:\s*"c1fapp-relay"/, 'no file is served')
  }
  const refused = log.entries().filter(entry => entry.msg === 'request refused')
  t.strictSame(refused.map(entry => [entry.level, entry.status, entry.code]), [[30, 403, 'FST_STATIC_FORBIDDEN_PATH'], [30, 403, 'FST_STATIC_FORBIDDEN_PATH']])
  t.strictSame(log.entries().filter(entry => entry.level >= 50), [], 'nothing at error level')
})

t.test('an aborted upload is logged at info, not as a failure of the relay', async t => {
  const { app, log, port } = await listening(t)
  const socket = net.connect(port, '127.0.0.1')
  socket.write('POST /version HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"type":')
  await new Promise(resolve => setTimeout(resolve, 100))
  socket.destroy()
  for (let i = 0; i < 100 && !log.entries().some(entry => entry.msg === 'request refused'); i++) await new Promise(resolve => setTimeout(resolve, 20))
  t.match(log.entries().find(entry => entry.msg === 'request refused'), { level: 30, status: 400 })
  t.strictSame(log.entries().filter(entry => entry.level >= 50), [])
  await app.close()
})

t.test('a client that drips its request is cut off once REQUEST_TIMEOUT_MS is up', async t => {
  const server = await buildServer(readConfig({ SECRET_KEY, LOG_LEVEL: 'silent', REQUEST_TIMEOUT_MS: '1000' }))
  t.teardown(() => server.close())
  await server.listen({ port: 0, host: '127.0.0.1' })
  const socket = net.connect((server.server.address() as AddressInfo).port, '127.0.0.1')
  socket.on('error', () => {})
  socket.write('POST /version HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n')
  let answer = ''
  const state = { closed: false }
  socket.on('data', chunk => { answer += chunk })
  socket.on('close', () => { state.closed = true })
  // one byte every 200 ms would take 20 s for the whole body
  let sent = 0
  while (!state.closed && sent < 100) {
    socket.write(' ')
    sent += 1
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  t.ok(state.closed, 'the connection was closed')
  t.ok(sent < 100, `cut off after ${sent} of 100 bytes`)
  t.match(answer, /^HTTP\/1\.1 408 /)
})

t.test('the client time-outs reach Fastify', async t => {
  const server = await buildServer(readConfig({ SECRET_KEY, LOG_LEVEL: 'silent', REQUEST_TIMEOUT_MS: '2000', CONNECTION_TIMEOUT_MS: '45000' }))
  t.teardown(() => server.close())
  t.equal(server.initialConfig.connectionTimeout, 45000)
  t.equal(server.server.requestTimeout, 2000)
  t.equal(server.server.timeout, 45000)
})
