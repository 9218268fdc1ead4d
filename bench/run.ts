// `npm run bench`: builds, then runs the C1fApp simulator and the relay (the real app, built, as
// build-server.ts builds it and server.ts listens) as separate processes, drives the relay with
// autocannon, prints a table and writes bench/results.json. Targets print PASS or FAIL and the exit code is 0 either way
// (figures on a shared machine are noisy); only a broken run (a wrong answer, a child that dies)
// exits non-zero.
import { execFile, fork } from 'node:child_process'
import { isBuiltin } from 'node:module'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import autocannon from 'autocannon'
import { build, type Plugin } from 'esbuild'
import { createSigner } from 'fast-jwt'
import { bundleLambda } from '../scripts/build-lambda.js'
import { buildDataset, DEMO_OBSERVABLES, type C1fAppRawRecord } from '../simulator/dataset.js'
import { DEMO_API_KEY } from '../simulator/server.js'
import { chartSvg, type ChartPoint } from './chart.js'
import { onShippedNode } from './shipped-node.js'
import { manyRecords, tenObservables, type Observable } from './data.js'
import { Peer } from './ipc.js'
import { LIMIT_PATH, type RelayReady, type RelayRequest, type RelayStats, type SimulatorReady, type SimulatorRequest } from './protocol.js'
import type { ProfileSplit } from './profile.js'
import type { Split, SplitRequest } from './split.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const benchDir = path.join(root, 'bench')

function setting (name: string, fallback: number, minimum: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < minimum) throw new Error(`${name} must be a whole number, at least ${minimum}`)
  return value
}

const SECONDS = setting('BENCH_SECONDS', 10, 1)
const WARMUP_SECONDS = setting('BENCH_WARMUP_SECONDS', 2, 0)
const CONNECTIONS = setting('BENCH_CONNECTIONS', 16, 1)
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL || 'warn'
/** `npm start`'s node options (package.json): the relay runs as a module owner runs it. */
function startOptions (): string {
  const { scripts } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
  return scripts.start.split(' ').filter(word => word.startsWith('--')).join(' ')
}
/** node options of the relay process alone; BENCH_RELAY_NODE_OPTIONS replaces npm start's (an empty value: none) */
const RELAY_NODE_OPTIONS = (process.env.BENCH_RELAY_NODE_OPTIONS ?? startOptions()).split(' ').filter(option => option !== '')
const W5_RECORDS = 1000
const PROFILE_SECONDS = Math.max(1, Math.round(SECONDS / 2))
const W3_DELAY_MS = 50
const OBSERVE_PATH = '/observe/observables'

const SECRET_KEY = 'bench-secret-key-that-is-long-enough-0123456789'
const authorization = `Bearer ${createSigner({ key: SECRET_KEY, algorithm: 'HS256' })({ key: DEMO_API_KEY })}`

interface Row {
  workload: string
  what: string
  connections: number
  seconds: number
  requestsPerSecond: number
  latencyMs: { p50: number, p97_5: number, p99: number }
  non2xx: number
  socketErrors: number
  /** HTTP 200 answers that carry Threat Response's `errors` list */
  errorAnswers: number
  relayCalls: number
  upstreamCalls: number
  upstreamPerCall: number
  /** the relay process's CPU time (all its threads, GC included) per call it received */
  relayCpuMsPerCall: number
  /** V8's garbage-collection pauses per call (PerformanceObserver gc entries: wall time, so a busy machine inflates it) */
  gcMsPerCall: number
  peakRssMB: number
  /** 'window': the peak of the measured window alone; 'process': of the whole relay process */
  peakOf: 'window' | 'process'
  answerBytes: number
  sightings: number
  /** where the relay's CPU went in the window, from its own profiler (W5 only) */
  profile?: ProfileSplit
}

/**
 * The child entries, bundled to plain JavaScript (in a temporary directory) whose imports of the
 * project point at its build (dist/) and whose packages are the project's: the children run the
 * built code under plain node, without tsx's loader (whose own memory would count in the relay's
 * RSS, and which slows the code the W5 split times).
 */
async function compileChildren (outdir: string): Promise<void> {
  const fromDist: Plugin = {
    name: 'project-from-dist',
    setup (esbuild) {
      esbuild.onResolve({ filter: /^\.\.?\// }, args => {
        const target = path.resolve(args.resolveDir, args.path)
        if (target.startsWith(benchDir + path.sep)) return undefined
        return { path: pathToFileURL(path.join(root, 'dist', path.relative(root, target))).href, external: true }
      })
      esbuild.onResolve({ filter: /^[^./]/ }, args =>
        isBuiltin(args.path) ? undefined : { path: import.meta.resolve(args.path), external: true })
    }
  }
  await build({
    entryPoints: ['relay-process.ts', 'simulator-process.ts', 'split-process.ts', 'floor-process.ts', 'cold-process.ts'].map(file => path.join(benchDir, file)),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    plugins: [fromDist],
    logLevel: 'warning'
  })
}

async function startChild<Request, Ready> (file: string, env: Record<string, string>, execArgv: string[] = []): Promise<{ peer: Peer<Request>, ready: Ready }> {
  const child = fork(file, [], {
    execArgv,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  return Peer.connect<Request, Ready>(child)
}

function status (pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find(text => text.startsWith(`${field}:`))
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? Number.NaN) / 1024
}

/** The process's CPU time so far (user + system), in milliseconds: Linux counts it in 1/100 s. */
function cpuMs (pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  // utime and stime are the stat file's fields 14 and 15; `fields` starts at field 3
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** Resets the process's peak RSS to its current RSS (Linux's clear_refs); false where that is not allowed. */
function resetPeak (pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

function observeBody (observables: Observable[]): string {
  return JSON.stringify(observables)
}

async function call (port: number, urlPath: string, body: string): Promise<{ text: string, sightings: number }> {
  const response = await fetch(`http://127.0.0.1:${port}${urlPath}`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body
  })
  const text = await response.text()
  const answer = JSON.parse(text) as { data?: { sightings?: { count: number } }, errors?: unknown }
  if (response.status !== 200 || answer.errors !== undefined || answer.data?.sightings === undefined) {
    throw new Error(`${urlPath} answered HTTP ${response.status}: ${text.slice(0, 300)}`)
  }
  return { text, sightings: answer.data.sightings.count }
}

function load (port: number, urlPath: string, body: string, connections: number, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}${urlPath}`,
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body,
    connections,
    duration: seconds
  })
}

class Bench {
  constructor (readonly simulator: Peer<SimulatorRequest>, readonly simulatorUrl: string) {}

  relayEnv (extra: Record<string, string>): Record<string, string> {
    return { SECRET_KEY, C1FAPP_API_URL: this.simulatorUrl, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL, ...extra }
  }

  async startRelay (env: Record<string, string>, file: string): Promise<{ relay: Peer<RelayRequest>, port: number }> {
    const { peer, ready } = await startChild<RelayRequest, RelayReady>(file, this.relayEnv(env), RELAY_NODE_OPTIONS)
    return { relay: peer, port: ready.port }
  }

  /** FLOOR (bench/floor-process.ts), asking the same simulator; spoken to as a relay */
  async startFloor (file: string, client: 'node:http' | 'got', work: 'all' | 'parse' = 'all'): Promise<{ relay: Peer<RelayRequest>, port: number }> {
    const env = { C1FAPP_API_URL: this.simulatorUrl, FLOOR_C1FAPP_KEY: DEMO_API_KEY, FLOOR_CLIENT: client, FLOOR_WORK: work }
    const { peer, ready } = await startChild<RelayRequest, RelayReady>(file, env, RELAY_NODE_OPTIONS)
    return { relay: peer, port: ready.port }
  }

  /** A further window under V8's profiler, not counted in any row: where the relay's busy time goes. */
  async profileWindow (relay: Peer<RelayRequest>, port: number, urlPath: string, body: string, seconds: number): Promise<{ profile: ProfileSplit, calls: number }> {
    const before = await this.settle(relay)
    await relay.request({ op: 'profile' })
    await load(port, urlPath, body, CONNECTIONS, seconds)
    const after = await this.settle(relay)
    return { profile: await relay.request<ProfileSplit>({ op: 'profiled' }), calls: after.stats.calls - before.stats.calls }
  }

  /** COLD: fresh processes that import the Lambda handler and answer one observe call each. */
  async cold (file: string, handler: string, body: string, runs: number): Promise<Cold> {
    // AWS_LAMBDA_FUNCTION_NAME: set by Lambda's runtime in every instance, and read by the relay
    const env = { ...this.relayEnv({ AWS_LAMBDA_FUNCTION_NAME: 'c1fapp-relay-bench' }), BENCH_HANDLER: pathToFileURL(handler).href, BENCH_AUTHORIZATION: authorization, BENCH_BODY: body }
    delete (env as Record<string, string>).PORT
    const each: Cold['runs'] = []
    for (let i = 0; i < runs; i++) {
      const { stdout } = await execFileAsync(process.execPath, [file], { env: { PATH: process.env.PATH ?? '', ...env } })
      const run = JSON.parse(stdout) as { startMs: number, importedMs: number, answeredMs: number, cpuMs: number, status: number, sightings: number }
      if (run.status !== 200 || run.sightings === 0) throw new Error(`COLD: the first call answered HTTP ${run.status} with ${run.sightings} sightings`)
      each.push({ importMs: run.importedMs - run.startMs, firstCallMs: run.answeredMs - run.importedMs, totalMs: run.answeredMs, cpuMs: run.cpuMs })
    }
    const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
    return {
      handler: path.relative(root, handler),
      runs: each,
      importMs: median(each.map(run => run.importMs)),
      firstCallMs: median(each.map(run => run.firstCallMs)),
      totalMs: median(each.map(run => run.totalMs)),
      cpuMs: median(each.map(run => run.cpuMs))
    }
  }

  /** Waits until neither the relay nor the simulator sees anything new: the calls in flight are done. */
  async settle (relay: Peer<RelayRequest>): Promise<{ upstream: number, stats: RelayStats }> {
    let last = ''
    for (let quiet = 0; ; await sleep(100)) {
      const upstream = await this.simulator.request<number>({ op: 'count' })
      const stats = await relay.request<RelayStats>({ op: 'stats' })
      const now = JSON.stringify([upstream, stats])
      quiet = now === last ? quiet + 1 : 0
      last = now
      if (quiet >= 3) return { upstream, stats }
    }
  }

  /** A checked call, a warm-up, then the measured window and its counts. */
  async measure (workload: string, what: string, relay: Peer<RelayRequest>, port: number, urlPath: string, body: string,
    { connections = CONNECTIONS, profile = false } = {}): Promise<Row> {
    const { text, sightings } = await call(port, urlPath, body)
    if (WARMUP_SECONDS > 0) await load(port, urlPath, body, connections, WARMUP_SECONDS)
    const before = await this.settle(relay)
    const windowed = resetPeak(relay.pid)
    const cpuBefore = cpuMs(relay.pid)
    if (profile) await relay.request({ op: 'profile' })
    const result = await load(port, urlPath, body, connections, SECONDS)
    const peakRssMB = status(relay.pid, 'VmHWM')
    const after = await this.settle(relay)
    const cpu = cpuMs(relay.pid) - cpuBefore
    const profiled = profile ? await relay.request<ProfileSplit>({ op: 'profiled' }) : undefined
    const relayCalls = after.stats.calls - before.stats.calls
    const upstreamCalls = after.upstream - before.upstream
    const row: Row = {
      workload,
      what,
      connections,
      seconds: SECONDS,
      requestsPerSecond: result.requests.total / result.duration,
      latencyMs: { p50: result.latency.p50, p97_5: result.latency.p97_5, p99: result.latency.p99 },
      non2xx: result.non2xx,
      socketErrors: result.errors,
      errorAnswers: after.stats.errorAnswers - before.stats.errorAnswers,
      relayCalls,
      upstreamCalls,
      upstreamPerCall: relayCalls === 0 ? 0 : upstreamCalls / relayCalls,
      relayCpuMsPerCall: relayCalls === 0 ? 0 : cpu / relayCalls,
      gcMsPerCall: relayCalls === 0 ? 0 : (after.stats.gcMs - before.stats.gcMs) / relayCalls,
      peakRssMB,
      peakOf: windowed ? 'window' : 'process',
      answerBytes: Buffer.byteLength(text),
      sightings,
      profile: profiled
    }
    console.error(`  ${workload}: ${Math.round(row.requestsPerSecond)} req/s, p99 ${row.latencyMs.p99} ms`)
    return row
  }
}

function pad (cells: string[][]): string {
  const widths = cells[0].map((_, column) => Math.max(...cells.map(row => row[column].length)))
  return cells.map(row => row.map((cell, column) => column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])).join('  ')).join('\n')
}

/** The FLOOR row each workload's CPU is set against (W4's: what FLOOR spends on the same answer, uncached). */
const FLOOR_OF: Record<string, string> = { W1: 'FLOOR·W1', W2: 'FLOOR', W3: 'FLOOR·W3', W3·1: 'FLOOR·W3', W4: 'FLOOR' }

function table (rows: Row[]): string {
  const floorOf = (row: Row): string => {
    const floor = rows.find(each => each.workload === FLOOR_OF[row.workload])
    return floor === undefined ? '' : `${(row.relayCpuMsPerCall / floor.relayCpuMsPerCall).toFixed(2)}×`
  }
  return pad([
    ['workload', 'conns', 'req/s', 'p50 ms', 'p97.5 ms', 'p99 ms', 'non-2xx', 'sock err', 'err answers', 'relay calls', 'upstream', 'up/call', 'CPU ms/call', '× FLOOR', 'GC ms/call', 'peak RSS MB', 'answer KB'],
    ...rows.map(row => [
      row.workload,
      String(row.connections),
      row.requestsPerSecond.toFixed(0),
      row.latencyMs.p50.toFixed(1),
      row.latencyMs.p97_5.toFixed(1),
      row.latencyMs.p99.toFixed(1),
      String(row.non2xx),
      String(row.socketErrors),
      String(row.errorAnswers),
      String(row.relayCalls),
      String(row.upstreamCalls),
      row.upstreamPerCall.toFixed(3),
      row.relayCpuMsPerCall.toFixed(2),
      floorOf(row),
      row.gcMsPerCall.toFixed(2),
      row.peakRssMB.toFixed(1) + (row.peakOf === 'window' ? '' : '*'),
      (row.answerBytes / 1024).toFixed(1)
    ])
  ])
}

/** The Lambda handler COLD imports: the bundle `npm run build:lambda` puts in the package, built beside dist/ (whose node_modules/ it finds). */
async function lambdaHandler (): Promise<string> {
  const file = path.join(root, 'dist', 'lambda-bundle.js')
  await bundleLambda(file)
  return file
}

interface Target { target: string, figure: string, pass: boolean }

const execFileAsync = promisify(execFile)

interface Cold {
  /** the handler file imported, relative to the project */
  handler: string
  /** each run: ms from the process's start to the handler imported, then to the first answer; the total from the start */
  runs: Array<{ importMs: number, firstCallMs: number, totalMs: number, cpuMs: number }>
  /** medians of the runs */
  importMs: number
  firstCallMs: number
  totalMs: number
  /** the process's CPU time to the answer (all threads): what a busy machine disturbs least */
  cpuMs: number
}

const COLD_RUNS = 5
/** 0.8 × the original Flask relay's cold start on this machine (277 to 345 ms, issue 25) */
const COLD_TARGET_MS = 220
const FLOOR_TARGET = 1.6
/** the relay's CPU a call, at most this many times FLOOR+got's (W1 and W2) */
const FLOOR_GOT_TARGET = 1.3
/** W5's peak RSS, at most this share of the Kubernetes example's memory limit (deploy/relay.yaml) */
const MEMORY_SHARE = 0.7

const MEMORY_UNITS: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }
/** the Kubernetes example's container memory limit, in MiB (the unit of the rows' peak RSS) */
function memoryLimitMB (): number {
  const yaml = readFileSync(path.join(root, 'deploy', 'relay.yaml'), 'utf8')
  const found = /limits:\s*\n\s*cpu: \S+\s*\n\s*memory: (\d+)(Ki|Mi|Gi)/.exec(yaml)
  if (found === null) throw new Error('deploy/relay.yaml: no container memory limit found')
  return Number(found[1]) * MEMORY_UNITS[found[2]] / 2 ** 20
}

/** FLOOR asking and parsing only (FLOOR_WORK=parse): profiled, not a row */
const PARSE_ONLY = 'FLOOR asking and parsing only'

/** the collector's share of a process's busy time in its profile */
const gcShare = (profile: ProfileSplit): number => profile.gcMs / (profile.totalMs - profile.idleMs)

function targets (rows: Map<string, Row>, split: Split, cold: Cold, w2Profile: ProfileSplit, floorProfiles: Map<string, { profile: ProfileSplit }>): { targets: Target[], ratios: Record<string, number> } {
  const row = (name: string): Row => rows.get(name) as Row
  const [w1, w2, w3, w3single, w4, w5, w5single, floorW1, floor, floorW3, gotW1, gotW2] = ['W1', 'W2', 'W3', 'W3·1', 'W4', 'W5', 'W5·1', 'FLOOR·W1', 'FLOOR', 'FLOOR·W3', 'FLOOR+got·W1', 'FLOOR+got'].map(row)
  const profiled = w5.profile as ProfileSplit
  const profiledShare = (profiled.mappingMs + profiled.serialisingMs) / (profiled.totalMs - profiled.idleMs)
  const relayWork = split.map.wallMs + split.serialise.wallMs
  const limitMB = memoryLimitMB()
  const ofGot = (each: Row, got: Row): Target => ({
    target: `${each.workload} relay CPU ≤ ${FLOOR_GOT_TARGET} × FLOOR+got's`,
    figure: `${each.relayCpuMsPerCall.toFixed(2)} ÷ ${got.relayCpuMsPerCall.toFixed(2)} ms = ${(each.relayCpuMsPerCall / got.relayCpuMsPerCall).toFixed(2)}×`,
    pass: each.relayCpuMsPerCall <= FLOOR_GOT_TARGET * got.relayCpuMsPerCall
  })
  const ratios = {
    w1CpuOfFloor: w1.relayCpuMsPerCall / floorW1.relayCpuMsPerCall,
    w2CpuOfFloor: w2.relayCpuMsPerCall / floor.relayCpuMsPerCall,
    w3CpuOfFloor: w3.relayCpuMsPerCall / floorW3.relayCpuMsPerCall,
    w2GcShare: gcShare(w2Profile),
    floorGcShare: gcShare((floorProfiles.get('FLOOR') as { profile: ProfileSplit }).profile),
    floorGotGcShare: gcShare((floorProfiles.get('FLOOR+got') as { profile: ProfileSplit }).profile),
    floorParseOnlyGcShare: gcShare((floorProfiles.get(PARSE_ONLY) as { profile: ProfileSplit }).profile),
    w2UpstreamPerCall: w2.upstreamPerCall,
    w5MapAndSerialiseShare: relayWork / w5single.latencyMs.p50,
    w5MapAndSerialiseShareOfRelayCpu: (split.map.cpuMs + split.serialise.cpuMs) / w5single.relayCpuMsPerCall,
    w5MapAndSerialiseShareOfRelayProfile: profiledShare
  }
  const cpu = (each: Row, most: number): Target => ({
    target: `${each.workload} relay CPU ≤ ${most} ms a call`,
    figure: `${each.relayCpuMsPerCall.toFixed(2)} ms`,
    pass: each.relayCpuMsPerCall <= most
  })
  const p99 = (each: Row, most: number): Target => ({
    target: `${each.workload} p99 ≤ ${most} ms (${each.connections} connection${each.connections === 1 ? '' : 's'}, C1fApp answering after ${W3_DELAY_MS} ms)`,
    figure: `${each.latencyMs.p99} ms`,
    pass: each.latencyMs.p99 <= most
  })
  return {
    ratios,
    targets: [
      ofGot(w1, gotW1),
      ofGot(w2, gotW2),
      cpu(w4, 1.0),
      {
        target: `W2 relay CPU ≤ ${FLOOR_TARGET} × FLOOR's`,
        figure: `${w2.relayCpuMsPerCall.toFixed(2)} ÷ ${floor.relayCpuMsPerCall.toFixed(2)} ms = ${ratios.w2CpuOfFloor.toFixed(2)}×`,
        pass: ratios.w2CpuOfFloor <= FLOOR_TARGET
      },
      p99(w3, 150),
      p99(w3single, 70),
      {
        target: 'W2 garbage collection ≤ 10% of the relay\'s busy time (its profile)',
        figure: `${(100 * ratios.w2GcShare).toFixed(1)}% (FLOOR ${(100 * ratios.floorGcShare).toFixed(1)}%, FLOOR+got ${(100 * ratios.floorGotGcShare).toFixed(1)}%, ` +
          `FLOOR asking and parsing only ${(100 * ratios.floorParseOnlyGcShare).toFixed(1)}%)`,
        pass: ratios.w2GcShare <= 0.1
      },
      { target: `COLD ≤ ${COLD_TARGET_MS} ms (median of ${COLD_RUNS})`, figure: `${cold.totalMs.toFixed(0)} ms`, pass: cold.totalMs <= COLD_TARGET_MS },
      { target: 'W4 upstream calls after warm-up = 0', figure: String(w4.upstreamCalls), pass: w4.upstreamCalls === 0 },
      { target: 'W2 upstream calls per relay call = 10', figure: `${w2.upstreamCalls} / ${w2.relayCalls} = ${w2.upstreamPerCall}`, pass: w2.relayCalls > 0 && w2.upstreamCalls === 10 * w2.relayCalls },
      {
        target: 'W5 mapping + serialising ≤ 25% of the call',
        figure: `${relayWork.toFixed(1)} of ${w5single.latencyMs.p50} ms (W5·1 p50) = ${(100 * ratios.w5MapAndSerialiseShare).toFixed(1)}%`,
        pass: ratios.w5MapAndSerialiseShare <= 0.25
      },
      {
        target: `W5 peak RSS ≤ ${100 * MEMORY_SHARE} % of the Kubernetes example's memory limit (${limitMB} MiB, deploy/relay.yaml)`,
        figure: `${w5.peakRssMB.toFixed(1)} MiB of ${(MEMORY_SHARE * limitMB).toFixed(0)} MiB`,
        pass: w5.peakRssMB <= MEMORY_SHARE * limitMB
      }
    ]
  }
}

/** What FLOOR+got spends: the least a relay whose C1fApp client is got can spend for the same calls. */
function gotBounds (rows: Map<string, Row>): { w1CpuMs: number, w2CpuMs: number, w2CpuOfFloor: number, w3SingleP99Ms: number, gotCpuMsPerW2Call: number } {
  const row = (name: string): Row => rows.get(name) as Row
  const floor = row('FLOOR').relayCpuMsPerCall
  const w2CpuMs = row('FLOOR+got').relayCpuMsPerCall
  return {
    w1CpuMs: row('FLOOR+got·W1').relayCpuMsPerCall,
    w2CpuMs,
    w2CpuOfFloor: w2CpuMs / floor,
    w3SingleP99Ms: row('FLOOR+got·W3·1').latencyMs.p99,
    gotCpuMsPerW2Call: w2CpuMs - floor
  }
}

async function main (): Promise<void> {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'c1fapp-bench-'))
  const peers: Array<Peer<never>> = []
  const loadBefore = os.loadavg()
  try {
    await compileChildren(outdir)
    const relayFile = path.join(outdir, 'relay-process.mjs')
    const simulatorChild = await startChild<SimulatorRequest, SimulatorReady>(path.join(outdir, 'simulator-process.mjs'), {})
    peers.push(simulatorChild.peer)
    const bench = new Bench(simulatorChild.peer, simulatorChild.ready.url)
    const simulator = simulatorChild.peer
    const startRelay = async (env: Record<string, string>) => {
      const started = await bench.startRelay(env, relayFile)
      peers.push(started.relay)
      return started
    }
    const floorProfiles = new Map<string, { profile: ProfileSplit, calls: number }>()
    /** a FLOOR row: the same calls, answered by bench/floor-process.ts; `profiled`, then a further window under V8's profiler, as W2's */
    const floorRow = async (workload: string, what: string, body: string, client: 'node:http' | 'got' = 'node:http', connections = CONNECTIONS, profiled = false): Promise<Row> => {
      const floor = await bench.startFloor(path.join(outdir, 'floor-process.mjs'), client)
      peers.push(floor.relay)
      const row = await bench.measure(workload, what, floor.relay, floor.port, OBSERVE_PATH, body, { connections })
      if (profiled) floorProfiles.set(workload, await bench.profileWindow(floor.relay, floor.port, OBSERVE_PATH, body, PROFILE_SECONDS))
      await floor.relay.stop()
      return row
    }

    const dataset = buildDataset()
    const one = [DEMO_OBSERVABLES.find(({ type }) => type === 'domain') as Observable]
    const ten = tenObservables(dataset)
    const rows: Row[] = []
    console.error(`Node.js ${process.version}. Each workload: ${WARMUP_SECONDS} s warm-up, ${SECONDS} s measured; the relay's node options: ${RELAY_NODE_OPTIONS.join(' ') || 'none'}.`)

    // W1, then the ceiling on the same instance: W1's own answer bytes, from memory.
    let { relay, port } = await startRelay({ CACHE_TTL_S: '0' })
    const w1Body = observeBody(one)
    await relay.request({ op: 'limit', body: (await call(port, OBSERVE_PATH, w1Body)).text })
    rows.push(await bench.measure('W1', `1 domain, cache off, ${CONNECTIONS} connections`, relay, port, OBSERVE_PATH, w1Body))
    rows.push(await bench.measure('LIMIT', "W1's answer bytes from memory, same instance", relay, port, LIMIT_PATH, w1Body))
    await relay.stop()
    rows.push(await floorRow('FLOOR·W1', "W1's calls answered by FLOOR", w1Body))
    rows.push(await floorRow('FLOOR+got·W1', "W1's calls answered by FLOOR asking through got", w1Body, 'got'))

    const tenBody = observeBody(ten);
    ({ relay, port } = await startRelay({ CACHE_TTL_S: '0' }))
    rows.push(await bench.measure('W2', '10 observables (4 domains, 3 IPs, 3 URLs), cache off', relay, port, OBSERVE_PATH, tenBody))
    const w2Profile = await bench.profileWindow(relay, port, OBSERVE_PATH, tenBody, PROFILE_SECONDS)
    await relay.stop()
    rows.push(await floorRow('FLOOR', "W2's calls answered by FLOOR: ten upstream POSTs each", tenBody, 'node:http', CONNECTIONS, true))
    rows.push(await floorRow('FLOOR+got', "W2's calls answered by FLOOR asking through got", tenBody, 'got', CONNECTIONS, true))
    {
      // no row: only where a FLOOR that asks and parses, and maps nothing, spends its time
      const floor = await bench.startFloor(path.join(outdir, 'floor-process.mjs'), 'node:http', 'parse')
      peers.push(floor.relay)
      await load(floor.port, OBSERVE_PATH, tenBody, CONNECTIONS, WARMUP_SECONDS)
      floorProfiles.set(PARSE_ONLY, await bench.profileWindow(floor.relay, floor.port, OBSERVE_PATH, tenBody, PROFILE_SECONDS))
      await floor.relay.stop()
    }

    await simulator.request({ op: 'script', request: '*', answer: { delayMs: W3_DELAY_MS } })
    for (const connections of [CONNECTIONS, 1]) {
      ({ relay, port } = await startRelay({ CACHE_TTL_S: '0' }))
      rows.push(connections === 1
        ? await bench.measure('W3·1', 'W3 with 1 connection: one investigation at a time', relay, port, OBSERVE_PATH, tenBody, { connections: 1 })
        : await bench.measure('W3', `W2, C1fApp answering after ${W3_DELAY_MS} ms`, relay, port, OBSERVE_PATH, tenBody))
      await relay.stop()
      if (connections !== 1) rows.push(await floorRow('FLOOR·W3', "W3's calls answered by FLOOR", tenBody))
      else rows.push(await floorRow('FLOOR+got·W3·1', "W3·1's calls answered by FLOOR asking through got", tenBody, 'got', 1))
    }
    await simulator.request({ op: 'unscript' });

    // W4, then W4's own answer bytes from memory on the same instance: what is left is the relay's work.
    ({ relay, port } = await startRelay({}))
    await relay.request({ op: 'limit', body: (await call(port, OBSERVE_PATH, tenBody)).text })
    rows.push(await bench.measure('W4', 'W2 with the cache warm (CACHE_TTL_S 600)', relay, port, OBSERVE_PATH, tenBody))
    rows.push(await bench.measure('LIMIT·W4', "W4's answer bytes from memory, same instance", relay, port, LIMIT_PATH, tenBody))
    await relay.stop()

    const w5Records = manyRecords(dataset.get(one[0].value) as C1fAppRawRecord[], W5_RECORDS)
    const w5Answer = JSON.stringify(w5Records)
    await simulator.request({ op: 'script', request: one[0].value, answer: { body: w5Answer, headers: { 'content-type': 'application/json' } } })
    const w5Env = { CACHE_TTL_S: '0', CTR_ENTITIES_LIMIT: String(W5_RECORDS) }
    for (const connections of [CONNECTIONS, 1]) {
      ({ relay, port } = await startRelay(w5Env))
      rows.push(connections === 1
        ? await bench.measure('W5·1', 'W5 with 1 connection: the time of one call', relay, port, OBSERVE_PATH, w1Body, { connections: 1 })
        : await bench.measure('W5', `1 domain, ${W5_RECORDS} records, CTR_ENTITIES_LIMIT ${W5_RECORDS}, cache off (profiled)`, relay, port, OBSERVE_PATH, w1Body, { profile: true }))
      await relay.stop()
    }
    const splitChild = await startChild<SplitRequest, object>(path.join(outdir, 'split-process.mjs'), {})
    peers.push(splitChild.peer)
    const split = await splitChild.peer.request<Split>({ env: bench.relayEnv(w5Env), authorization, observable: one[0], answer: w5Answer })
    await splitChild.peer.stop()
    await simulator.request({ op: 'unscript' })

    const cold = await bench.cold(path.join(outdir, 'cold-process.mjs'), await lambdaHandler(), w1Body, COLD_RUNS)
    const byName = new Map(rows.map(row => [row.workload, row]))
    const { targets: checked, ratios } = targets(byName, split, cold, w2Profile.profile, floorProfiles)
    const loadAfter = os.loadavg()
    const machine = {
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      memoryGB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      loadAverage1mBefore: loadBefore[0],
      loadAverage1mAfter: loadAfter[0]
    }

    console.log(`\n${table(rows)}`)
    if (rows.some(row => row.peakOf === 'process')) console.log('* the relay process\'s peak since it started (this system does not allow resetting it)')
    const ms = ({ wallMs, cpuMs: cpu }: { wallMs: number, cpuMs: number }): string => `${wallMs.toFixed(2)} ms (CPU ${cpu.toFixed(2)})`
    console.log(`\nW5 split (in-process, built code, median of ${split.runs} runs on the same ${W5_RECORDS} records, ${split.sightings} sightings, ${(split.answerBytes / 1024).toFixed(0)} KB answer):`)
    console.log(`  parse C1fApp's answer ${ms(split.parse)}, map to CTIM ${ms(split.map)}, serialise ${ms(split.serialise)} (the observe route's serializer)`)
    console.log(`  one call (W5·1): p50 ${byName.get('W5·1')?.latencyMs.p50} ms, relay CPU ${byName.get('W5·1')?.relayCpuMsPerCall.toFixed(2)} ms; ` +
      `mapping + serialising is ${(100 * ratios.w5MapAndSerialiseShare).toFixed(1)}% of the call's time, ${(100 * ratios.w5MapAndSerialiseShareOfRelayCpu).toFixed(1)}% of the relay's CPU for it`)
    const w5Profile = byName.get('W5')?.profile as ProfileSplit
    const w5Calls = byName.get('W5')?.relayCalls as number
    console.log(`  the relay's own profile under W5: mapping ${(w5Profile.mappingMs / w5Calls).toFixed(2)} ms and serialising ${(w5Profile.serialisingMs / w5Calls).toFixed(2)} ms a call, ` +
      `${(100 * (w5Profile.mappingMs + w5Profile.serialisingMs) / (w5Profile.totalMs - w5Profile.idleMs)).toFixed(1)}% of its busy time`)
    console.log(`\nW2 under V8's profiler (a further ${PROFILE_SECONDS} s window after each row, not in the table): of each process's busy time, a call spends`)
    const profiled: Array<[string, { profile: ProfileSplit, calls: number }]> = [['the relay', w2Profile], ...floorProfiles]
    for (const [server, { profile, calls }] of profiled) {
      const perCall = (ms: number): string => `${(ms / calls).toFixed(2)} ms (${(100 * ms / (profile.totalMs - profile.idleMs)).toFixed(1)}%)`
      const other = profile.totalMs - profile.idleMs - profile.gcMs - profile.gotMs - profile.parseMs - profile.mappingMs - profile.serialisingMs
      console.log(`  ${server} (${calls} calls): got ${perCall(profile.gotMs)}, reading C1fApp's answers (JSON.parse, checks, records) ${perCall(profile.parseMs)}, ` +
        `mapping ${perCall(profile.mappingMs)}, serialising ${perCall(profile.serialisingMs)}, garbage collection ${perCall(profile.gcMs)}, ` +
        `the rest (${server === 'the relay' ? 'Fastify, JWT, ' : ''}HTTP, sockets, …) ${perCall(other)}`)
    }
    const coldRuns = cold.runs.map(run => run.totalMs.toFixed(0)).join(', ')
    console.log(`\nCOLD (${cold.handler}, median of ${COLD_RUNS} fresh processes): import ${cold.importMs.toFixed(0)} ms, first observe call ${cold.firstCallMs.toFixed(0)} ms, ` +
      `${cold.totalMs.toFixed(0)} ms from the process's start to the answer (each: ${coldRuns} ms), ${cold.cpuMs.toFixed(0)} ms of CPU`)
    console.log('\nTargets:')
    for (const { target, figure, pass } of checked) console.log(`  ${pass ? 'PASS' : 'FAIL'}  ${target}: ${figure}`)
    const withGot = gotBounds(byName)
    console.log('\nWith got as the C1fApp client (the design card\'s), FLOOR+got is the least a relay can spend here:')
    console.log(`  W1 ${withGot.w1CpuMs.toFixed(2)} ms a call (target 0.8); W2 ${withGot.w2CpuMs.toFixed(2)} ms (target 6), ${withGot.w2CpuOfFloor.toFixed(2)}× FLOOR's (target ${FLOOR_TARGET}×); ` +
      `W3·1 p99 ${withGot.w3SingleP99Ms} ms (target 70)`)
    console.log(`  got's own share of a W2 call: FLOOR+got − FLOOR = ${withGot.gotCpuMsPerW2Call.toFixed(2)} ms`)
    console.log(`\nMachine: ${machine.cpus} × ${machine.cpu}, Node.js ${machine.node}, load average ${loadBefore[0].toFixed(2)} before, ${loadAfter[0].toFixed(2)} after.`)

    const results = {
      date: new Date().toISOString(),
      machine,
      settings: { seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: CONNECTIONS, logLevel: LOG_LEVEL, relayNodeOptions: RELAY_NODE_OPTIONS },
      workloads: rows,
      w5Split: split,
      w2Profile,
      floorProfiles: Object.fromEntries(floorProfiles),
      cold,
      ratios,
      targets: checked,
      withGot
    }
    writeFileSync(path.join(benchDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`)
    const chart = [...Object.entries(FLOOR_OF)].flatMap(([workload, floor]): ChartPoint[] => {
      const relayRow = byName.get(workload) as Row
      const floorRow = byName.get(floor) as Row
      return [
        { workload, server: 'relay', cpuMsPerCall: relayRow.relayCpuMsPerCall, p99Ms: relayRow.latencyMs.p99 },
        { workload, server: 'FLOOR', cpuMsPerCall: floorRow.relayCpuMsPerCall, p99Ms: floorRow.latencyMs.p99 }
      ]
    })
    writeFileSync(path.join(root, 'docs', 'performance.svg'), await chartSvg(chart, `npm run bench, ${results.date.slice(0, 10)}: the relay beside FLOOR (W3·1 against FLOOR·W3, W4 against FLOOR)`))
    console.log('Written to bench/results.json and docs/performance.svg.')
  } finally {
    for (const peer of peers.reverse()) await peer.stop()
    rmSync(outdir, { recursive: true, force: true })
  }
}

onShippedNode(fileURLToPath(import.meta.url))
await main()
