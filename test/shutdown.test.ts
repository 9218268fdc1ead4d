// Graceful shutdown of the real process: server.ts under tsx against a slow C1fApp simulator.
// SIGTERM lets the call in flight finish with its data and exits 0; a new connection is refused
// (or answered with the envelope's error); past SHUTDOWN_GRACE_MS the process exits 1 anyway.
import t from 'tap'
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { request } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { SHUTTING_DOWN_MESSAGE } from '../lib/overload.js'
import { startSimulator } from '../simulator/server.js'
import { fatal, SECRET_KEY, token } from './helper.js'
import { exitCode } from './support/processes.js'

const root = fileURLToPath(new URL('..', import.meta.url))

// Two relay processes start under tsx, one after the other: more than tap's default 30 s when
// the other test files keep both cores busy.
t.setTimeout(120_000)

const RECORD = {
  feed_label: ['Phishtank'],
  domain: ['slow.example'],
  confidence: [90],
  reportime: ['2026-10-01'],
  assessment: ['phishing']
}

function startRelay (env: Record<string, string>): { child: ChildProcessWithoutNullStreams, output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH as string, FASTIFY_AUTOLOAD_TYPESCRIPT: '1', SECRET_KEY, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env }
  })
  let output = ''
  child.stdout.on('data', chunk => { output += chunk.toString() })
  child.stderr.on('data', chunk => { output += chunk.toString() })
  return { child, output: () => output }
}

async function waitFor (condition: () => boolean, ms = 20000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(10)) if (condition()) return true
  return condition()
}

/** One call on a connection of its own (no pool): its status and JSON body, or the socket's error. */
function call (base: string, path: string, body?: unknown): Promise<{ status: number, body: any } | { error: string }> {
  return new Promise(resolve => {
    const text = body === undefined ? '' : JSON.stringify(body)
    const req = request(`${base}${path}`, {
      method: 'POST',
      agent: false,
      headers: { authorization: `Bearer ${token()}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }
    }, res => {
      let data = ''
      res.on('data', chunk => { data += chunk })
      res.on('end', () => resolve({ status: res.statusCode as number, body: JSON.parse(data) }))
    })
    req.on('error', error => resolve({ error: (error as NodeJS.ErrnoException).code ?? error.message }))
    req.end(text)
  })
}

async function listening (relay: ReturnType<typeof startRelay>): Promise<string> {
  await waitFor(() => /Server listening at http:\/\/127\.0\.0\.1:\d+/.test(relay.output()))
  return /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(relay.output())![1]
}

t.test('SIGTERM: the call in flight finishes with its data, new calls are refused, the process exits 0', async t => {
  const simulator = await startSimulator()
  t.teardown(() => simulator.close())
  simulator.script('slow.example', { delayMs: 1500, body: [RECORD] })
  const relay = startRelay({ C1FAPP_API_URL: simulator.url, SHUTDOWN_GRACE_MS: '10000' })
  t.teardown(() => { relay.child.kill('SIGKILL') })
  const base = await listening(relay)

  const inFlight = call(base, '/observe/observables', [{ type: 'domain', value: 'slow.example' }])
  t.ok(await waitFor(() => simulator.requests.length === 1), 'the call reached C1fApp')
  relay.child.kill('SIGTERM')
  t.ok(await waitFor(() => /"msg":"closing"/.test(relay.output())), 'the relay is closing')

  const late = await call(base, '/health')
  if ('error' in late) t.match(late.error, /^(ECONNREFUSED|ECONNRESET)$/, `a new connection is refused (${late.error})`)
  else t.strictSame(late, { status: 200, body: fatal('unknown', SHUTTING_DOWN_MESSAGE) }, 'or answered with the envelope\'s error')

  const answer = await inFlight
  t.equal('status' in answer && answer.status, 200)
  t.match('body' in answer && answer.body, { data: { sightings: { count: 1 }, indicators: { count: 1 }, judgements: { count: 1 }, verdicts: { count: 1 }, relationships: { count: 2 } } }, 'with its data')
  t.equal(await exitCode(relay.child), 0)
  t.equal(simulator.requests.length, 1, 'the refused call asked C1fApp nothing')
})

t.test('past SHUTDOWN_GRACE_MS the process exits 1, whatever is still in flight', async t => {
  const simulator = await startSimulator()
  t.teardown(() => simulator.close())
  simulator.script('stuck.example', { delayMs: 30000, body: [] })
  const relay = startRelay({ C1FAPP_API_URL: simulator.url, C1FAPP_TIMEOUT_MS: '60000', SHUTDOWN_GRACE_MS: '300' })
  t.teardown(() => { relay.child.kill('SIGKILL') })
  const base = await listening(relay)

  const inFlight = call(base, '/observe/observables', [{ type: 'domain', value: 'stuck.example' }])
  t.ok(await waitFor(() => simulator.requests.length === 1), 'the call reached C1fApp')
  relay.child.kill('SIGTERM')
  t.equal(await exitCode(relay.child), 1)
  t.match(relay.output(), /killed by timeout \(300ms\)/)
  t.match(await inFlight, { error: /^(ECONNRESET|socket hang up)$/ }, 'the call is cut, not left hanging')
})
