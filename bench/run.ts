// `npm run bench`: builds, then runs the C1fApp simulator and each workload's server (the relay,
// built as build-server.ts builds it and listening as server.ts does; FLOOR; the Lambda handler) as
// separate processes, and drives them with autocannon, one workload of bench/workloads.ts after the
// other. Prints one table, each target with PASS or FAIL and its figure, then where the time went, and
// writes bench/results.json and docs/performance.svg. The exit code is 0 whatever the figures
// (figures on a shared machine are noisy); a broken run (a wrong answer, a child that dies, a
// workload whose figures did not come out) exits non-zero and names what broke.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleLambda } from '../scripts/build-lambda.js'
import { chartSvg, type ChartPoint } from './chart.js'
import type { Peer } from './ipc.js'
import {
  authorization, bundleChildren, call, floorEnv, load, measure, measureCold, median, OBSERVE_PATH, profileWindow, relayEnv, root, setting, startChild, WorkloadData, type Cold
} from './measure.js'
import type { ProfileSplit } from './profile.js'
import { LIMIT_PATH, type RelayReady, type RelayRequest, type SimulatorReady, type SimulatorRequest } from './protocol.js'
import { onShippedNode } from './shipped-node.js'
import type { Split, SplitRequest } from './split.js'
import { checkList, checkRows, select, table, verdict, type Row, type Verdict, type Workload } from './table.js'
import { WORKLOADS } from './workloads.js'

const SECONDS = setting('BENCH_SECONDS', 10, 1)
const WARMUP_SECONDS = setting('BENCH_WARMUP_SECONDS', 2, 0)
const CONNECTIONS = setting('BENCH_CONNECTIONS', 16, 1)
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL || 'warn'
const PROFILE_SECONDS = Math.max(1, Math.round(SECONDS / 2))
/** windows of each row a ratio target sets against another (W1 and FLOOR+got·W1, W2 and FLOOR+got), taken in turn */
const RATIO_WINDOWS = setting('BENCH_RATIO_WINDOWS', 3, 1)
/** `npm start`'s node options (package.json): the relay runs as a module owner runs it. */
function startOptions (): string {
  const { scripts } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
  return scripts.start.split(' ').filter(word => word.startsWith('--')).join(' ')
}
/** node options of the relay and FLOOR processes; BENCH_RELAY_NODE_OPTIONS replaces npm start's (an empty value: none) */
const RELAY_NODE_OPTIONS = (process.env.BENCH_RELAY_NODE_OPTIONS ?? startOptions()).split(' ').filter(option => option !== '')

const MEMORY_UNITS: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }
/** the Kubernetes example's container memory limit, in MiB (the unit of the rows' peak RSS) */
function memoryLimitMB (): number {
  const yaml = readFileSync(path.join(root, 'deploy', 'relay.yaml'), 'utf8')
  const found = /limits:\s*\n\s*cpu: \S+\s*\n\s*memory: (\d+)(Ki|Mi|Gi)/.exec(yaml)
  if (found === null) throw new Error('deploy/relay.yaml: no container memory limit found')
  return Number(found[1]) * MEMORY_UNITS[found[2]] / 2 ** 20
}

interface Server { peer: Peer<RelayRequest>, port: number }

class Bench {
  readonly rows = new Map<string, Row>()
  /** the further profiled windows (profile: 'after' and 'only') */
  readonly profiles = new Map<string, { profile: ProfileSplit, calls: number }>()
  split: { workload: string, split: Split } | undefined
  cold: Cold | undefined
  private readonly peers: Array<Peer<never>> = []
  private readonly data = new WorkloadData()

  constructor (readonly outdir: string, readonly simulator: Peer<SimulatorRequest>, readonly simulatorUrl: string) {}

  private async start (file: string, env: Record<string, string>): Promise<Server> {
    const { peer, ready } = await startChild<RelayRequest, RelayReady>(path.join(this.outdir, file), env, RELAY_NODE_OPTIONS)
    this.peers.push(peer as Peer<never>)
    return { peer, port: ready.port }
  }

  /** The workload's relay or FLOOR, in a fresh process. */
  private async startServer (workload: Workload): Promise<Server> {
    const { server } = workload
    if (server.kind === 'relay') return this.start('relay-process.mjs', relayEnv(this.simulatorUrl, LOG_LEVEL, server.env))
    if (server.kind === 'floor') return this.start('floor-process.mjs', floorEnv(this.simulatorUrl, workload))
    throw new Error(`${workload.name}: not answered by the relay or FLOOR`)
  }

  async stopAll (): Promise<void> {
    for (const peer of this.peers.reverse()) await peer.stop()
  }

  /** Measures the workloads in order; a relay followed by a limit row stays up to answer it. */
  async run (workloads: Workload[]): Promise<void> {
    let kept: Server | undefined
    for (const [i, workload] of workloads.entries()) {
      console.error(`  ${workload.name}: ${workload.what}`)
      const body = this.data.body(workload)
      const window = { seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: workload.connections ?? CONNECTIONS }
      const unscript = await this.data.script(this.simulator, workload)
      try {
        const { server } = workload
        if (server.kind === 'lambda') {
          await this.measureCold(workload, server.runs, body)
        } else if (server.kind === 'limit') {
          const relay = kept as Server
          kept = undefined
          await relay.peer.request({ op: 'limit', body: (await call(relay.port, OBSERVE_PATH, body)).text })
          this.rows.set(workload.name, await measure(workload, this.simulator, relay, LIMIT_PATH, body, window))
          await relay.peer.stop()
        } else {
          const started = await this.startServer(workload)
          if (workload.profile === 'only') {
            if (WARMUP_SECONDS > 0) await load(started.port, OBSERVE_PATH, body, window.connections, WARMUP_SECONDS)
          } else {
            this.rows.set(workload.name, await measure(workload, this.simulator, started, OBSERVE_PATH, body, { ...window, profile: workload.profile === 'during' }))
          }
          if (workload.profile === 'after' || workload.profile === 'only') {
            this.profiles.set(workload.name, await profileWindow(this.simulator, started, OBSERVE_PATH, body, window.connections, PROFILE_SECONDS))
          }
          if (workload.split === true && server.kind === 'relay') await this.measureSplit(workload, server.env)
          if (workloads[i + 1]?.server.kind === 'limit' && server.kind === 'relay') kept = started
          else await started.peer.stop()
        }
      } finally {
        await unscript()
      }
      const row = this.rows.get(workload.name)
      if (row !== undefined) console.error(`    ${row.requestsPerSecond === undefined ? '' : `${Math.round(row.requestsPerSecond)} req/s, `}p99 ${row.latencyMs.p99} ms, CPU ${row.relayCpuMsPerCall.toFixed(2)} ms a call`)
    }
  }

  /**
   * The rows of each ratio target, measured again in turn, window after window: their CPU a call is
   * the median of RATIO_WINDOWS windows, so that the machine's drift between two rows measured
   * minutes apart does not decide the ratio (bench:ab alternates its variants the same way).
   */
  async inTurn (workloads: Workload[]): Promise<void> {
    for (const workload of workloads) {
      const { target } = workload
      if (target?.kind !== 'CPU against' || RATIO_WINDOWS === 1) continue
      const pair = [workload, workloads.find(each => each.name === target.row) as Workload]
      console.error(`  ${pair.map(each => each.name).join(' and ')} in turn, ${RATIO_WINDOWS - 1} more window${RATIO_WINDOWS === 2 ? '' : 's'} each`)
      const windows = pair.map(each => [(this.rows.get(each.name) as Row).relayCpuMsPerCall])
      for (let round = 1; round < RATIO_WINDOWS; round++) {
        for (const [i, each] of pair.entries()) windows[i].push(await this.window(each))
      }
      for (const [i, each] of pair.entries()) {
        const row = this.rows.get(each.name) as Row
        this.rows.set(each.name, { ...row, relayCpuMsPerCall: median(windows[i]), cpuWindowsMs: windows[i] })
        console.error(`    ${each.name}: CPU ${windows[i].map(cpu => cpu.toFixed(2)).join(', ')} ms a call`)
      }
    }
  }

  /** One more measured window of a relay or FLOOR row, in a process of its own: its CPU a call. */
  private async window (workload: Workload): Promise<number> {
    const unscript = await this.data.script(this.simulator, workload)
    const started = await this.startServer(workload)
    try {
      const window = { seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: workload.connections ?? CONNECTIONS }
      const row = await measure(workload, this.simulator, started, OBSERVE_PATH, this.data.body(workload), window)
      checkRows([workload], new Map([[workload.name, row]]))
      return row.relayCpuMsPerCall
    } finally {
      await started.peer.stop()
      await unscript()
    }
  }

  /** The relay's own work on the workload's C1fApp answer, timed in a process of its own (bench/split.ts). */
  private async measureSplit (workload: Workload, env: Record<string, string>): Promise<void> {
    const { upstream } = workload
    if (upstream === undefined || !('records' in upstream)) throw new Error(`${workload.name}: a split needs C1fApp's answer of many records (upstream: { records })`)
    const { peer } = await startChild<SplitRequest, object>(path.join(this.outdir, 'split-process.mjs'), {})
    this.peers.push(peer as Peer<never>)
    const split = await peer.request<Split>({ env: relayEnv(this.simulatorUrl, LOG_LEVEL, env), authorization, observable: this.data.domain, answer: this.data.records(upstream.records) })
    await peer.stop()
    this.split = { workload: workload.name, split }
  }

  /** COLD: the Lambda handler as `npm run build:lambda` builds it, beside dist/ (whose node_modules/ it finds), in fresh processes. */
  private async measureCold (workload: Workload, runs: number, body: string): Promise<void> {
    const handler = path.join(root, 'dist', 'lambda-bundle.js')
    await bundleLambda(handler)
    const { row, cold } = await measureCold(workload, this.simulator, relayEnv(this.simulatorUrl, LOG_LEVEL, {}), handler, path.join(this.outdir, 'cold-process.mjs'), runs, body)
    this.rows.set(workload.name, row)
    this.cold = cold
  }
}

function details (bench: Bench, byName: Map<string, Row>): string[] {
  const lines: string[] = []
  const perCallOf = (profile: ProfileSplit, calls: number) => (ms: number): string => `${(ms / calls).toFixed(2)} ms (${(100 * ms / (profile.totalMs - profile.idleMs)).toFixed(1)}%)`
  const profiled: Array<[string, { profile: ProfileSplit, calls: number }]> = [
    ...[...byName.values()].filter(row => row.profile !== undefined).map((row): [string, { profile: ProfileSplit, calls: number }] =>
      [`${row.workload} (its measured window)`, { profile: row.profile as ProfileSplit, calls: row.relayCalls }]),
    ...[...bench.profiles].map(([name, window]): [string, { profile: ProfileSplit, calls: number }] => [`${name} (a further ${PROFILE_SECONDS} s window)`, window])
  ]
  if (profiled.length > 0) lines.push('\nUnder V8\'s profiler, of each process\'s busy time, a call spends:')
  for (const [name, { profile, calls }] of profiled) {
    const perCall = perCallOf(profile, calls)
    const other = profile.totalMs - profile.idleMs - profile.gcMs - profile.gotMs - profile.parseMs - profile.mappingMs - profile.serialisingMs
    lines.push(`  ${name}, ${calls} calls: got ${perCall(profile.gotMs)}, reading C1fApp's answers (JSON.parse, checks, records) ${perCall(profile.parseMs)}, ` +
      `mapping ${perCall(profile.mappingMs)}, serialising ${perCall(profile.serialisingMs)}, garbage collection ${perCall(profile.gcMs)}, ` +
      `the rest (HTTP, sockets, and in the relay Fastify, JWT, …) ${perCall(other)}`)
  }
  if (bench.split !== undefined) {
    const { workload, split } = bench.split
    const row = byName.get(workload) as Row
    const ms = ({ wallMs, cpuMs }: { wallMs: number, cpuMs: number }): string => `${wallMs.toFixed(2)} ms (CPU ${cpuMs.toFixed(2)})`
    const work = split.map.wallMs + split.serialise.wallMs
    lines.push(`\n${workload}'s split (in-process, built code, median of ${split.runs} runs on the same answer, ${split.sightings} sightings, ${(split.answerBytes / 1024).toFixed(0)} KB answer):`)
    lines.push(`  parse C1fApp's answer ${ms(split.parse)}, map to CTIM ${ms(split.map)}, serialise ${ms(split.serialise)} (the observe route's serializer)`)
    lines.push(`  one call: p50 ${row.latencyMs.p50} ms, relay CPU ${row.relayCpuMsPerCall.toFixed(2)} ms; mapping + serialising is ${(100 * work / row.latencyMs.p50).toFixed(1)}% of the call's time, ` +
      `${(100 * (split.map.cpuMs + split.serialise.cpuMs) / row.relayCpuMsPerCall).toFixed(1)}% of the relay's CPU for it`)
  }
  if (bench.cold !== undefined) {
    const { handler, runs } = bench.cold
    const middle = (pick: (run: Cold['runs'][number]) => number): string => median(runs.map(pick)).toFixed(0)
    lines.push(`\nCOLD (${handler}, medians of ${runs.length} fresh processes): node's own start-up ${middle(run => run.bootMs)} ms (not counted), then the import ${middle(run => run.importMs)} ms ` +
      `(building the relay, Lambda's init phase) and the first observe call ${middle(run => run.firstCallMs)} ms: the answer ${middle(run => run.answerMs)} ms after the import began ` +
      `(each: ${runs.map(run => run.answerMs.toFixed(0)).join(', ')} ms); ${middle(run => run.cpuMs)} ms of CPU, start-up included`)
  }
  const floor = byName.get('FLOOR')
  const floorGot = byName.get('FLOOR+got')
  if (floor !== undefined && floorGot !== undefined) {
    lines.push(`\ngot's own share of a W2 call: FLOOR+got − FLOOR = ${(floorGot.relayCpuMsPerCall - floor.relayCpuMsPerCall).toFixed(2)} ms of CPU`)
  }
  return lines
}

async function main (): Promise<void> {
  checkList(WORKLOADS)
  const workloads = select(WORKLOADS, process.env.BENCH_WORKLOADS)
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'c1fapp-bench-'))
  const loadBefore = os.loadavg()
  let bench: Bench | undefined
  let simulator: Peer<SimulatorRequest> | undefined
  try {
    await bundleChildren(root, ['relay-process.ts', 'simulator-process.ts', 'split-process.ts', 'floor-process.ts', 'cold-process.ts'], outdir)
    const started = await startChild<SimulatorRequest, SimulatorReady>(path.join(outdir, 'simulator-process.mjs'), {})
    simulator = started.peer
    bench = new Bench(outdir, simulator, started.ready.url)
    console.error(`Node.js ${process.version}. Each workload: ${WARMUP_SECONDS} s warm-up, ${SECONDS} s measured (a ratio target's two rows: ${RATIO_WINDOWS} windows each, in turn); node options of the relay and FLOOR: ${RELAY_NODE_OPTIONS.join(' ') || 'none'}.`)
    await bench.run(workloads)
    checkRows(workloads, bench.rows)
    await bench.inTurn(workloads)
    const byName = bench.rows
    const limitMB = memoryLimitMB()
    const verdicts = workloads.map(workload => verdict(workload, byName, limitMB)).filter((each): each is Verdict => each !== undefined)
    const loadAfter = os.loadavg()
    const machine = {
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      memoryGB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      loadAverage1mBefore: loadBefore[0],
      loadAverage1mAfter: loadAfter[0]
    }

    console.log(`\nnpm run bench on Node.js ${process.version}: ${workloads.length === WORKLOADS.length ? 'every workload' : `the workloads ${workloads.map(each => each.name).join(', ')}`}; ` +
      `${SECONDS} s windows (a ratio target's rows: the median CPU of ${RATIO_WINDOWS}, taken in turn), node options ${RELAY_NODE_OPTIONS.join(' ') || 'none'}; peak RSS ≤ a share of deploy/relay.yaml's memory limit (${limitMB} MiB)\n`)
    console.log(table(workloads, byName, verdicts))
    if ([...byName.values()].some(row => row.peakOf === 'process')) console.log('* the process\'s peak since it started (COLD: the fresh process\'s; elsewhere this system does not allow resetting it)')
    for (const line of details(bench, byName)) console.log(line)
    console.log(`\nMachine: ${machine.cpus} × ${machine.cpu}, Node.js ${machine.node}, load average ${loadBefore[0].toFixed(2)} before, ${loadAfter[0].toFixed(2)} after.`)

    const results = {
      date: new Date().toISOString(),
      machine,
      settings: { seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, ratioWindows: RATIO_WINDOWS, connections: CONNECTIONS, logLevel: LOG_LEVEL, relayNodeOptions: RELAY_NODE_OPTIONS, workloads: workloads.map(each => each.name) },
      workloads: [...byName.values()],
      targets: verdicts,
      profiles: Object.fromEntries(bench.profiles),
      split: bench.split,
      cold: bench.cold
    }
    writeFileSync(path.join(root, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`)
    if (workloads.length === WORKLOADS.length) {
      const chart = workloads.filter(workload => workload.floor !== undefined).flatMap((workload): ChartPoint[] => {
        const relayRow = byName.get(workload.name) as Row
        const floorRow = byName.get(workload.floor as string) as Row
        return [
          { workload: workload.name, server: 'relay', cpuMsPerCall: relayRow.relayCpuMsPerCall, p99Ms: relayRow.latencyMs.p99 },
          { workload: workload.name, server: 'FLOOR', cpuMsPerCall: floorRow.relayCpuMsPerCall, p99Ms: floorRow.latencyMs.p99 }
        ]
      })
      writeFileSync(path.join(root, 'docs', 'performance.svg'), await chartSvg(chart, `npm run bench, ${results.date.slice(0, 10)}: each workload beside the FLOOR row it is set against`))
      console.log('Written to bench/results.json and docs/performance.svg.')
    } else {
      console.log('Written to bench/results.json (the chart only after a run of every workload).')
    }
  } finally {
    await bench?.stopAll()
    await simulator?.stop()
    rmSync(outdir, { recursive: true, force: true })
  }
}

onShippedNode(fileURLToPath(import.meta.url))
await main()
