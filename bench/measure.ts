// What `npm run bench` and `npm run bench:ab` share: the bench's settings, its child processes
// (the C1fApp simulator, the relay, FLOOR, bundled to plain JavaScript over a build of the
// project), the bodies of the workloads, and one measured window.
import { execFile, fork } from 'node:child_process'
import { isBuiltin } from 'node:module'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import autocannon from 'autocannon'
import { build, type Plugin } from 'esbuild'
import { createSigner } from 'fast-jwt'
import { buildDataset, DEMO_OBSERVABLES, type C1fAppRawRecord } from '../simulator/dataset.js'
import { DEMO_API_KEY, type ScriptedAnswer } from '../simulator/server.js'
import { manyRecords, tenObservables, type Observable } from './data.js'
import { Peer } from './ipc.js'
import type { ProfileSplit } from './profile.js'
import type { RelayRequest, RelayStats, SimulatorRequest } from './protocol.js'
import type { Row, Workload } from './table.js'

export const root = fileURLToPath(new URL('..', import.meta.url))
export const OBSERVE_PATH = '/observe/observables'

/** A whole-number setting of the environment, at least `minimum`. */
export function setting (name: string, fallback: number, minimum: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < minimum) throw new Error(`${name} must be a whole number, at least ${minimum}`)
  return value
}

export const SECRET_KEY = 'bench-secret-key-that-is-long-enough-0123456789'
export const authorization = `Bearer ${createSigner({ key: SECRET_KEY, algorithm: 'HS256' })({ key: DEMO_API_KEY })}`

/** The relay's configuration in the bench: the workload's `env` over this. */
export function relayEnv (simulatorUrl: string, logLevel: string, env: Record<string, string>): Record<string, string> {
  return { SECRET_KEY, C1FAPP_API_URL: simulatorUrl, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: logLevel, ...env }
}

/** FLOOR's configuration for a workload (bench/floor-process.ts). */
export function floorEnv (simulatorUrl: string, workload: Workload): Record<string, string> {
  if (workload.server.kind !== 'floor') throw new Error(`${workload.name} is not answered by FLOOR`)
  return {
    C1FAPP_API_URL: simulatorUrl,
    FLOOR_C1FAPP_KEY: DEMO_API_KEY,
    FLOOR_CLIENT: workload.server.client,
    FLOOR_WORK: workload.server.work ?? 'all',
    ...(workload.upstream !== undefined && 'records' in workload.upstream ? { CTR_ENTITIES_LIMIT: String(workload.upstream.records) } : {})
  }
}

/** The bodies and the simulator's answers of the workloads, from the simulator's own data set. */
export class WorkloadData {
  readonly domain: Observable
  private readonly bodies: Record<Workload['observables'], string>
  private readonly dataset = buildDataset()

  constructor () {
    this.domain = DEMO_OBSERVABLES.find(({ type }) => type === 'domain') as Observable
    this.bodies = { 'one domain': JSON.stringify([this.domain]), 'ten observables': JSON.stringify(tenObservables(this.dataset)) }
  }

  body (workload: Workload): string {
    return this.bodies[workload.observables]
  }

  /** C1fApp's answer of `records` records for the one domain */
  records (records: number): string {
    return JSON.stringify(manyRecords(this.dataset.get(this.domain.value) as C1fAppRawRecord[], records))
  }

  /** Scripts the simulator as the workload says; returns what undoes it. */
  async script (simulator: Peer<SimulatorRequest>, workload: Workload): Promise<() => Promise<void>> {
    const { upstream } = workload
    if (upstream === undefined) return async () => undefined
    const answer: ScriptedAnswer = 'delayMs' in upstream
      ? { delayMs: upstream.delayMs }
      : { body: this.records(upstream.records), headers: { 'content-type': 'application/json' } }
    await simulator.request({ op: 'script', request: 'delayMs' in upstream ? '*' : this.domain.value, answer })
    return async () => { await simulator.request({ op: 'unscript' }) }
  }
}

/**
 * bench/<entry>.ts of the project at `dir`, bundled into `outdir` (as <entry>.mjs) with its imports
 * of the project pointing at that project's build (dist/) and its packages at this one's: the
 * children run the built code under plain node, without tsx's loader (whose own memory would count
 * in the relay's RSS, and which slows the code the W5 split times).
 */
export async function bundleChildren (dir: string, entries: string[], outdir: string): Promise<void> {
  const benchDir = path.join(dir, 'bench')
  const fromDist: Plugin = {
    name: 'project-from-dist',
    setup (esbuild) {
      esbuild.onResolve({ filter: /^\.\.?\// }, args => {
        const target = path.resolve(args.resolveDir, args.path)
        if (target.startsWith(benchDir + path.sep)) return undefined
        return { path: pathToFileURL(path.join(dir, 'dist', path.relative(dir, target))).href, external: true }
      })
      esbuild.onResolve({ filter: /^[^./]/ }, args =>
        isBuiltin(args.path) ? undefined : { path: import.meta.resolve(args.path), external: true })
    }
  }
  await build({
    entryPoints: entries.map(entry => path.join(benchDir, entry)),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    plugins: [fromDist],
    logLevel: 'warning'
  })
}

export async function startChild<Request, Ready> (file: string, env: Record<string, string>, execArgv: string[] = []): Promise<{ peer: Peer<Request>, ready: Ready }> {
  const child = fork(file, [], {
    execArgv,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  return Peer.connect<Request, Ready>(child)
}

/** A field of /proc/<pid>/status in MiB: VmHWM the peak RSS, VmRSS the current. */
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

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** One call, checked: HTTP 200, no `errors`, sightings. */
export async function call (port: number, urlPath: string, body: string): Promise<{ text: string, sightings: number }> {
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

export function load (port: number, urlPath: string, body: string, connections: number, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}${urlPath}`,
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body,
    connections,
    duration: seconds
  })
}

/** Waits until neither the server nor the simulator sees anything new: the calls in flight are done. */
export async function settle (simulator: Peer<SimulatorRequest>, server: Peer<RelayRequest>): Promise<{ upstream: number, stats: RelayStats }> {
  let last = ''
  for (let quiet = 0; ; await sleep(100)) {
    const upstream = await simulator.request<number>({ op: 'count' })
    const stats = await server.request<RelayStats>({ op: 'stats' })
    const now = JSON.stringify([upstream, stats])
    quiet = now === last ? quiet + 1 : 0
    last = now
    if (quiet >= 3) return { upstream, stats }
  }
}

export interface Window {
  seconds: number
  warmupSeconds: number
  connections: number
  /** V8's profiler during the window */
  profile?: boolean
}

/** A checked call, a warm-up, then the measured window and its counts: the workload's row. */
export async function measure (workload: Workload, simulator: Peer<SimulatorRequest>, server: { peer: Peer<RelayRequest>, port: number },
  urlPath: string, body: string, { seconds, warmupSeconds, connections, profile = false }: Window): Promise<Row> {
  const { peer, port } = server
  const { text, sightings } = await call(port, urlPath, body)
  if (warmupSeconds > 0) await load(port, urlPath, body, connections, warmupSeconds)
  const before = await settle(simulator, peer)
  const windowed = resetPeak(peer.pid)
  const cpuBefore = cpuMs(peer.pid)
  if (profile) await peer.request({ op: 'profile' })
  const result = await load(port, urlPath, body, connections, seconds)
  const peakRssMB = status(peer.pid, 'VmHWM')
  const after = await settle(simulator, peer)
  const cpu = cpuMs(peer.pid) - cpuBefore
  const profiled = profile ? await peer.request<ProfileSplit>({ op: 'profiled' }) : undefined
  const relayCalls = after.stats.calls - before.stats.calls
  const upstreamCalls = after.upstream - before.upstream
  return {
    workload: workload.name,
    what: workload.what,
    connections,
    seconds,
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
    ...(profiled === undefined ? {} : { profile: profiled })
  }
}

/** A further window under V8's profiler, not counted in any row: where the server's busy time goes. */
export async function profileWindow (simulator: Peer<SimulatorRequest>, server: { peer: Peer<RelayRequest>, port: number }, urlPath: string, body: string,
  connections: number, seconds: number): Promise<{ profile: ProfileSplit, calls: number }> {
  const before = await settle(simulator, server.peer)
  await server.peer.request({ op: 'profile' })
  await load(server.port, urlPath, body, connections, seconds)
  const after = await settle(simulator, server.peer)
  return { profile: await server.peer.request<ProfileSplit>({ op: 'profiled' }), calls: after.stats.calls - before.stats.calls }
}

export interface Cold {
  /** the handler file imported, relative to the project */
  handler: string
  /** each run, in ms: node's own start-up (to the handler's import), the import (which builds the relay, Lambda's init phase), the first call, the two together */
  runs: Array<{ bootMs: number, importMs: number, firstCallMs: number, answerMs: number, cpuMs: number, peakRssMB: number }>
}

const execFileAsync = promisify(execFile)

/**
 * COLD: `runs` fresh processes, one after the other (`coldFile`, bench/cold-process.ts bundled),
 * each importing the Lambda handler in `handler` and answering one observe call of `body`; `env`
 * configures the relay (relayEnv's; its PORT is left out: a handler listens on none).
 */
export async function measureCold (workload: Workload, simulator: Peer<SimulatorRequest>, env: Record<string, string>, handler: string,
  coldFile: string, runs: number, body: string): Promise<{ row: Row, cold: Cold }> {
  const processEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...env,
    // set by Lambda's runtime in every instance, and read by the relay
    AWS_LAMBDA_FUNCTION_NAME: 'c1fapp-relay-bench',
    BENCH_HANDLER: pathToFileURL(handler).href,
    BENCH_AUTHORIZATION: authorization,
    BENCH_BODY: body
  }
  delete processEnv.PORT
  const upstreamBefore = await simulator.request<number>({ op: 'count' })
  const each: Cold['runs'] = []
  let answer = { bytes: 0, sightings: 0 }
  for (let i = 0; i < runs; i++) {
    const { stdout } = await execFileAsync(process.execPath, [coldFile], { env: processEnv })
    const run = JSON.parse(stdout) as { startMs: number, importedMs: number, answeredMs: number, cpuMs: number, maxRssKB: number, status: number, sightings: number, bytes: number }
    if (run.status !== 200 || run.sightings === 0) throw new Error(`${workload.name}: the first call answered HTTP ${run.status} with ${run.sightings} sightings`)
    answer = { bytes: run.bytes, sightings: run.sightings }
    each.push({
      bootMs: run.startMs,
      importMs: run.importedMs - run.startMs,
      firstCallMs: run.answeredMs - run.importedMs,
      answerMs: run.answeredMs - run.startMs,
      cpuMs: run.cpuMs,
      peakRssMB: run.maxRssKB / 1024
    })
  }
  // the simulator counts what it received every 250 ms as well: wait for the last run's request
  await sleep(300)
  const upstreamCalls = await simulator.request<number>({ op: 'count' }) - upstreamBefore
  const answers = each.map(run => run.answerMs)
  return {
    cold: { handler: path.relative(root, handler), runs: each },
    row: {
      workload: workload.name,
      what: workload.what,
      connections: 1,
      latencyMs: { p50: median(answers), p99: Math.max(...answers) },
      non2xx: 0,
      socketErrors: 0,
      errorAnswers: 0,
      relayCalls: runs,
      upstreamCalls,
      upstreamPerCall: upstreamCalls / runs,
      relayCpuMsPerCall: median(each.map(run => run.cpuMs)),
      peakRssMB: median(each.map(run => run.peakRssMB)),
      peakOf: 'process',
      answerBytes: answer.bytes,
      sightings: answer.sightings
    }
  }
}
