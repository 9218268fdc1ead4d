// `npm run soak [-- --seconds 30 --connections 16]`: the relay in a process of its own against the
// C1fApp simulator, under autocannon for a set time with a mix of good calls, bad tokens, bad
// bodies and upstream faults. Prints calls made, answers by kind, HTTP statuses (any 5xx is a
// failure), and the relay's memory after a full collection: before, during and after.
// Exits 1 on any 5xx, any socket error, or a heap that keeps growing.
import { fork, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { createSigner } from 'fast-jwt'
import { DEMO_OBSERVABLES } from '../simulator/dataset.js'
import { DEMO_API_KEY, startSimulator } from '../simulator/server.js'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: process.env.SOAK_SECONDS ?? '30' },
    connections: { type: 'string', default: process.env.SOAK_CONNECTIONS ?? '16' },
    samples: { type: 'string', default: '6' }
  }
})
const seconds = Number(args.seconds)
const connections = Number(args.connections)
const samples = Number(args.samples)

// Upstream faults go with a key of their own, so a client that backs off from a failing key
// does not spare the good calls, nor the good calls hide the faults.
const FAULT_KEY = 'soak-fault-key-000000000000000000'
const FAULTS: Record<string, Parameters<Awaited<ReturnType<typeof startSimulator>>['script']>[1]> = {
  'slow.example': { delayMs: 200 },
  'hang.example': { delayMs: 5000 },
  'error500.example': { status: 500, body: 'Internal Server Error' },
  'ratelimit.example': { status: 429, body: 'Too Many Requests' },
  'dropped.example': { drop: 'before-headers' },
  'reset.example': { drop: 'mid-body', body: [{ feed_label: ['Phishtank'], reportime: ['2026-10-01'] }] },
  'notjson.example': { body: '<html>maintenance</html>' },
  'trickle.example': { trickleMs: 20, body: [{ feed_label: ['Phishtank'], reportime: ['2026-10-01'], domain: ['trickle.example'] }] }
}

const MIB = 1024 * 1024
const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`

interface Memory { rss: number, heapUsed: number, heapTotal: number, external: number }

async function memoryOf (relay: ChildProcess): Promise<Memory> {
  relay.send('memory')
  for (;;) {
    const [message] = await once(relay, 'message') as [{ memory?: Memory }]
    if (message.memory !== undefined) return message.memory
  }
}

const simulator = await startSimulator({ keys: [DEMO_API_KEY, FAULT_KEY] })
for (const [value, fault] of Object.entries(FAULTS)) simulator.script(value, fault)

const secret = randomBytes(32).toString('hex')
const relay = fork(fileURLToPath(new URL('soak-relay.ts', import.meta.url)), {
  execArgv: ['--expose-gc', '--import', 'tsx'],
  env: {
    PATH: process.env.PATH,
    FASTIFY_AUTOLOAD_TYPESCRIPT: '1',
    SECRET_KEY: secret,
    C1FAPP_API_URL: simulator.url,
    C1FAPP_TIMEOUT_MS: '1000',
    PORT: '0',
    LOG_LEVEL: 'info'
  },
  // the relay logs every call at info, as in production; the soak does not read it
  stdio: ['ignore', 'ignore', 'inherit', 'ipc']
})
const [ready] = await once(relay, 'message') as [{ listening: string }]
const base = ready.listening

const sign = (key: string, secretKey = secret) => createSigner({ key: secretKey, algorithm: 'HS256' })({ key })
const good = `Bearer ${sign(DEMO_API_KEY)}`
const faulty = `Bearer ${sign(FAULT_KEY)}`
const observe = (authorization: string | undefined, body: string) => ({
  method: 'POST' as const,
  path: '/observe/observables',
  headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
  body
})

const kinds = new Map<string, number>()
function classify (status: number, body: string): void {
  let kind: string
  try {
    const answer = JSON.parse(body) as { data?: unknown, errors?: Array<{ code: string, type: string }> }
    const errors = (answer.errors ?? []).map(error => `${error.type === 'warning' ? 'warning ' : ''}${error.code}`)
    kind = [answer.data !== undefined ? 'data' : '', ...new Set(errors)].filter(Boolean).join(' + ')
  } catch {
    kind = 'not JSON'
  }
  kind = `HTTP ${status} ${kind}`
  kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
}

// One cycle of calls per connection, over and over: 4 good, 3 bad tokens, 3 bad bodies, 8 faults.
const requests = [
  observe(good, JSON.stringify(DEMO_OBSERVABLES)),
  observe(good, JSON.stringify([DEMO_OBSERVABLES[0], { type: 'sha256', value: 'ab'.repeat(32) }])),
  { method: 'POST' as const, path: '/health', headers: { authorization: good } },
  observe(good, JSON.stringify([{ type: 'ip', value: '198.51.100.77' }])),
  observe(`Bearer ${sign(DEMO_API_KEY, randomBytes(32).toString('hex'))}`, JSON.stringify(DEMO_OBSERVABLES)),
  observe('Bearer not.a.jwt', JSON.stringify(DEMO_OBSERVABLES)),
  observe(undefined, JSON.stringify(DEMO_OBSERVABLES)),
  observe(good, '[{"type":"domain",'),
  observe(good, JSON.stringify({ type: 'domain', value: 'x.example' })),
  observe(good, JSON.stringify([{ type: 'domain', value: 'x'.repeat(5000) }])),
  ...Object.keys(FAULTS).map(value => observe(faulty, JSON.stringify([{ type: 'domain', value }])))
].map(request => ({ ...request, onResponse: classify }))

const before = await memoryOf(relay)
console.log(`relay ${base} (pid ${relay.pid}), simulator ${simulator.url}`)
console.log(`${seconds} s, ${connections} connections, a cycle of ${requests.length} calls per connection\n`)

const instance = autocannon({ url: base, connections, duration: seconds, requests, timeout: 10 })
const during: Memory[] = []
const sampler = setInterval(() => { memoryOf(relay).then(memory => during.push(memory), () => {}) }, (seconds * 1000) / samples)
const result = await instance
clearInterval(sampler)
const after = await memoryOf(relay)

relay.kill('SIGTERM')
const [exitCode] = await once(relay, 'exit')
await simulator.close()

const statuses = Object.entries(result.statusCodeStats ?? {}).map(([status, { count }]) => `${status}: ${count}`).join(', ')
const fiveHundreds = Object.entries(result.statusCodeStats ?? {}).filter(([status]) => status.startsWith('5')).reduce((sum, [, { count = 0 }]) => sum + count, 0)
console.log(`calls made      ${result.requests.total} (${result.requests.average.toFixed(0)}/s on average)`)
console.log(`HTTP statuses   ${statuses}`)
console.log(`5xx answers     ${fiveHundreds}`)
console.log(`socket errors   ${result.errors} (time-outs ${result.timeouts})`)
console.log('\nanswers by kind')
for (const [kind, count] of [...kinds].sort((a, b) => b[1] - a[1])) console.log(`  ${String(count).padStart(8)}  ${kind}`)

const row = (label: string, memory: Memory) => `  ${label.padEnd(8)} rss ${mib(memory.rss).padStart(10)}  heap used ${mib(memory.heapUsed).padStart(10)}  heap total ${mib(memory.heapTotal).padStart(10)}`
console.log('\nrelay memory after a full collection')
console.log(row('before', before))
for (const [i, memory] of during.entries()) console.log(row(`${Math.round(((i + 1) * seconds) / samples)} s`, memory))
console.log(row('after', after))

// Bounded: the heap after the load is within 10% (and at least 4 MiB) of the heap early in the
// load, once the relay's caches and pools have warmed up.
const warm = during[0] ?? before
const allowed = Math.max(4 * MIB, warm.heapUsed * 0.1)
const growth = after.heapUsed - warm.heapUsed
const bounded = growth <= allowed
console.log(`heap growth     ${mib(growth)} from the first sample to the end (allowed ${mib(allowed)}): ${bounded ? 'bounded' : 'GROWING'}`)
console.log(`relay exit      ${exitCode} after SIGTERM`)

const ok = fiveHundreds === 0 && result.errors === 0 && bounded && exitCode === 0
console.log(ok ? '\nsoak passed' : '\nsoak FAILED')
process.exit(ok ? 0 : 1)
