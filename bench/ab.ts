// `npm run bench:ab -- <name>=<git ref>[ <node options>] …`: A/B of the relay's variants in one run.
// Each variant is a commit (`.` is the working tree as `npm run build` built it), built apart
// (git archive, tsc) and run as bench/relay-process.ts runs the relay, with its own node options
// (none unless given, e.g. `opts='HEAD --max-semi-space-size=8'`). Round after round, the variants
// take turns (each round starts one further along), each on fresh processes, against one C1fApp
// simulator; the figures are the medians of the rounds, so that the drift of a shared machine falls
// on every variant alike. Workloads: W2 (10 observables, cache off), W4 (W2 from a warm cache),
// W5 (1 domain, 1 000 records: its peak RSS); BENCH_AB_WORKLOADS picks some (e.g. `W2,W4`).
import { execFileSync, fork } from 'node:child_process'
import { isBuiltin } from 'node:module'
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import autocannon from 'autocannon'
import { build, type Plugin } from 'esbuild'
import { createSigner } from 'fast-jwt'
import { buildDataset, DEMO_OBSERVABLES, type C1fAppRawRecord } from '../simulator/dataset.js'
import { DEMO_API_KEY } from '../simulator/server.js'
import { manyRecords, tenObservables, type Observable } from './data.js'
import { Peer } from './ipc.js'
import type { RelayReady, RelayRequest, RelayStats, SimulatorReady, SimulatorRequest } from './protocol.js'
import { onShippedNode } from './shipped-node.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const number = (name: string, fallback: number): number => Number(process.env[name] ?? fallback)
const ROUNDS = number('BENCH_AB_ROUNDS', 5)
const SECONDS = number('BENCH_SECONDS', 5)
const WARMUP_SECONDS = number('BENCH_WARMUP_SECONDS', 2)
const CONNECTIONS = number('BENCH_CONNECTIONS', 16)
const WORKLOADS = (process.env.BENCH_AB_WORKLOADS ?? 'W2,W4,W5').split(',')
const SECRET_KEY = 'bench-secret-key-that-is-long-enough-0123456789'
const authorization = `Bearer ${createSigner({ key: SECRET_KEY, algorithm: 'HS256' })({ key: DEMO_API_KEY })}`

interface Variant { name: string, ref: string, options: string[], relayFile: string }
interface Figures { cpuMsPerCall: number, p99Ms: number, peakRssMB: number, errorAnswers: number }

/** bench/<entry>.ts of `dir`, bundled so that its imports of the project are `dir`'s build (dist/) */
async function bundle (dir: string, entry: string, outfile: string): Promise<void> {
  const fromDist: Plugin = {
    name: 'variant-dist',
    setup (esbuild) {
      esbuild.onResolve({ filter: /^\.\.?\// }, args => {
        const target = path.resolve(args.resolveDir, args.path)
        if (target.startsWith(path.join(dir, 'bench') + path.sep)) return undefined
        return { path: pathToFileURL(path.join(dir, 'dist', path.relative(dir, target))).href, external: true }
      })
      esbuild.onResolve({ filter: /^[^./]/ }, args =>
        isBuiltin(args.path) ? undefined : { path: import.meta.resolve(args.path), external: true })
    }
  }
  await build({ entryPoints: [path.join(dir, 'bench', entry)], outfile, bundle: true, platform: 'node', format: 'esm', plugins: [fromDist], logLevel: 'warning' })
}

/** The variant's tree, built: `.` is this one (built by npm run build); any other ref is archived and compiled apart. */
async function prepare (spec: string, work: string): Promise<Variant> {
  const [name, rest] = spec.split(/=(.*)/s)
  const [ref, ...options] = rest.split(' ').filter(word => word !== '')
  let dir = root
  if (ref !== '.') {
    dir = path.join(work, name)
    execFileSync('sh', ['-c', `mkdir -p "${dir}" && git archive "${ref}" | tar -x -C "${dir}"`], { cwd: root })
    // the repository holds node_modules as a link of its own: this tree's packages serve every variant
    rmSync(path.join(dir, 'node_modules'), { force: true })
    symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'))
    execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(dir, 'tsconfig.build.json')], { cwd: dir })
  }
  const relayFile = path.join(work, `${name}-relay.mjs`)
  await bundle(dir, 'relay-process.ts', relayFile)
  return { name, ref, options, relayFile }
}

async function startChild<Ready> (file: string, env: Record<string, string>, execArgv: string[] = []): Promise<{ peer: Peer<never>, ready: Ready }> {
  const child = fork(file, [], { execArgv, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return Peer.connect<never, Ready>(child)
}

function cpuMs (pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

function peakRssMB (pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find(text => text.startsWith('VmHWM:'))
  return Number(/(\d+)/.exec(line ?? '')?.[1]) / 1024
}

const load = (port: number, body: string, seconds: number): Promise<autocannon.Result> => autocannon({
  url: `http://127.0.0.1:${port}/observe/observables`, method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body, connections: CONNECTIONS, duration: seconds
})

async function settle (simulator: Peer<SimulatorRequest>, relay: Peer<RelayRequest>): Promise<RelayStats> {
  let last = ''
  for (let quiet = 0; ; await sleep(100)) {
    const now = JSON.stringify([await simulator.request<number>({ op: 'count' }), await relay.request<RelayStats>({ op: 'stats' })])
    quiet = now === last ? quiet + 1 : 0
    last = now
    if (quiet >= 3) return JSON.parse(now)[1] as RelayStats
  }
}

async function measure (variant: Variant, simulator: Peer<SimulatorRequest>, env: Record<string, string>, body: string): Promise<Figures> {
  const { peer, ready } = await startChild<RelayReady>(variant.relayFile, env, variant.options)
  const relay = peer as unknown as Peer<RelayRequest>
  try {
    const checked = await fetch(`http://127.0.0.1:${ready.port}/observe/observables`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body })
    const text = await checked.text()
    if (checked.status !== 200 || (JSON.parse(text) as { errors?: unknown }).errors !== undefined) throw new Error(`${variant.name} answered HTTP ${checked.status}: ${text.slice(0, 300)}`)
    if (WARMUP_SECONDS > 0) await load(ready.port, body, WARMUP_SECONDS)
    const before = await settle(simulator, relay)
    const cpuBefore = cpuMs(relay.pid)
    const result = await load(ready.port, body, SECONDS)
    const peak = peakRssMB(relay.pid)
    const after = await settle(simulator, relay)
    return { cpuMsPerCall: (cpuMs(relay.pid) - cpuBefore) / (after.calls - before.calls), p99Ms: result.latency.p99, peakRssMB: peak, errorAnswers: after.errorAnswers - before.errorAnswers }
  } finally {
    await relay.stop()
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

async function main (): Promise<void> {
  const specs = process.argv.slice(2)
  if (specs.length < 2) throw new Error('usage: npm run bench:ab -- <name>=<git ref>[ <node options>] <name>=<git ref> …')
  const work = mkdtempSync(path.join(os.tmpdir(), 'c1fapp-ab-'))
  try {
    const variants: Variant[] = []
    for (const spec of specs) variants.push(await prepare(spec, work))
    const simulatorFile = path.join(work, 'simulator.mjs')
    await bundle(root, 'simulator-process.ts', simulatorFile)
    const { peer, ready } = await startChild<SimulatorReady>(simulatorFile, {})
    const simulator = peer as unknown as Peer<SimulatorRequest>
    const dataset = buildDataset()
    const one = DEMO_OBSERVABLES.find(({ type }) => type === 'domain') as Observable
    const w5Answer = JSON.stringify(manyRecords(dataset.get(one.value) as C1fAppRawRecord[], 1000))
    // no load shedding: on a busy machine it would answer some calls with a cheap error instead of their work
    const base = { SECRET_KEY, C1FAPP_API_URL: ready.url, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', MAX_EVENT_LOOP_DELAY_MS: '0' }
    const workloads: Record<string, { env: Record<string, string>, body: string, script?: boolean }> = {
      W2: { env: { ...base, CACHE_TTL_S: '0' }, body: JSON.stringify(tenObservables(dataset)) },
      W4: { env: base, body: JSON.stringify(tenObservables(dataset)) },
      W5: { env: { ...base, CACHE_TTL_S: '0', CTR_ENTITIES_LIMIT: '1000' }, body: JSON.stringify([one]), script: true }
    }
    const figures = new Map<string, Figures[]>()
    console.error(`A/B on Node.js ${process.version}: ${ROUNDS} rounds, each workload ${WARMUP_SECONDS} s warm-up and ${SECONDS} s measured, ${CONNECTIONS} connections; ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(2)}`)
    for (let round = 0; round < ROUNDS; round++) {
      for (const workload of WORKLOADS) {
        const { env, body, script } = workloads[workload]
        if (script === true) await simulator.request({ op: 'script', request: one.value, answer: { body: w5Answer, headers: { 'content-type': 'application/json' } } })
        for (let turn = 0; turn < variants.length; turn++) {
          const variant = variants[(round + turn) % variants.length]
          const measured = await measure(variant, simulator, env, body)
          if (measured.errorAnswers > 0) throw new Error(`${workload} ${variant.name}: ${measured.errorAnswers} answers with errors`)
          const key = `${workload} ${variant.name}`
          figures.set(key, [...(figures.get(key) ?? []), measured])
          console.error(`  round ${round + 1} ${key}: ${measured.cpuMsPerCall.toFixed(2)} ms CPU a call, p99 ${measured.p99Ms} ms, peak RSS ${measured.peakRssMB.toFixed(0)} MB${measured.errorAnswers > 0 ? `, ${measured.errorAnswers} error answers` : ''}`)
        }
        if (script === true) await simulator.request({ op: 'unscript' })
      }
    }
    await simulator.stop()
    const lines = ['| workload | variant | CPU ms a call (median; min–max) | vs the first | p99 ms | peak RSS MB |', '|---|---|---|---|---|---|']
    const summary: Record<string, unknown> = {}
    for (const workload of WORKLOADS) {
      const first = median((figures.get(`${workload} ${variants[0].name}`) as Figures[]).map(each => each.cpuMsPerCall))
      for (const variant of variants) {
        const runs = figures.get(`${workload} ${variant.name}`) as Figures[]
        const cpu = runs.map(each => each.cpuMsPerCall)
        const row = { cpuMsPerCall: median(cpu), min: Math.min(...cpu), max: Math.max(...cpu), p99Ms: median(runs.map(each => each.p99Ms)), peakRssMB: Math.max(...runs.map(each => each.peakRssMB)) }
        summary[`${workload} ${variant.name}`] = { ...row, runs }
        lines.push(`| ${workload} | ${variant.name} (${variant.ref}${variant.options.length > 0 ? ' ' + variant.options.join(' ') : ''}) | ${row.cpuMsPerCall.toFixed(2)}; ${row.min.toFixed(2)}–${row.max.toFixed(2)} | ` +
          `${variant === variants[0] ? '' : `${(100 * (row.cpuMsPerCall / first - 1)).toFixed(1)} %`} | ${row.p99Ms} | ${row.peakRssMB.toFixed(0)} |`)
      }
    }
    console.log(lines.join('\n'))
    writeFileSync(path.join(root, 'bench', 'ab-results.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, rounds: ROUNDS, seconds: SECONDS, figures: summary }, null, 2)}\n`)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

onShippedNode(fileURLToPath(import.meta.url))
await main()
