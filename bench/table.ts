// The bench as a table: bench/workloads.ts lists the workloads, the runner (bench/run.ts) measures
// each into a row, and this module checks the rows against the list and prints them as one table,
// each target with PASS or FAIL and its figure. Pure: rows in, verdicts and text out.
import type { ProfileSplit } from './profile.js'

/** What answers a workload's calls. */
export type Server =
  /** a fresh relay process (bench/relay-process.ts) configured by `env` over the bench's own */
  | { kind: 'relay', env: Record<string, string> }
  /** the relay process of the workload just before, answering that workload's answer bytes from memory (the bench's route) */
  | { kind: 'limit' }
  /** FLOOR (bench/floor-process.ts) asking C1fApp through `client`; `work: 'parse'` only asks and parses */
  | { kind: 'floor', client: 'node:http' | 'got', work?: 'parse' }
  /** fresh processes that each import the Lambda handler and answer one call (bench/cold-process.ts) */
  | { kind: 'lambda', runs: number }

/** The targets; a row without one is a figure. */
export type Target =
  /** the server's CPU per call at most `times` × another row's */
  | { kind: 'CPU against', row: string, times: number }
  /** the server's CPU per call at most `ms` */
  | { kind: 'CPU', ms: number }
  /** the server's peak RSS at most this share of the Kubernetes example's memory limit (deploy/relay.yaml) */
  | { kind: 'peak RSS', shareOfMemoryLimit: number }
  /** COLD: the median time from the handler's import to the first answer, at most `ms` */
  | { kind: 'time', ms: number }

export interface Workload {
  /** the row's name in the table, bench/results.json and the chart */
  name: string
  what: string
  server: Server
  /** the body of every call */
  observables: 'one domain' | 'ten observables'
  /** autocannon's connections; BENCH_CONNECTIONS when absent */
  connections?: number
  /** how the simulator answers during the workload: after a delay, or the one domain with this many records */
  upstream?: { delayMs: number } | { records: number }
  /** the row this one's CPU per call is set against (the × FLOOR column, and the chart) */
  floor?: string
  target?: Target
  /** C1fApp requests per call: any other count is a broken run (the quota rules) */
  upstreamPerCall?: number
  /** V8's profiler: `during` the measured window, in a further window `after` it, or `only` (a profile and no row) */
  profile?: 'during' | 'after' | 'only'
  /** after the window, W5's split: the relay's own work on C1fApp's answer timed in a process of its own (bench/split.ts) */
  split?: boolean
}

export interface Row {
  workload: string
  what: string
  connections: number
  /** seconds of the measured window (COLD: none) */
  seconds?: number
  requestsPerSecond?: number
  /** COLD: p50 is the median of its runs and p99 the slowest */
  latencyMs: { p50: number, p97_5?: number, p99: number }
  non2xx: number
  socketErrors: number
  /** HTTP 200 answers that carry Threat Response's `errors` list */
  errorAnswers: number
  /** calls the server received in the window (COLD: its runs) */
  relayCalls: number
  upstreamCalls: number
  upstreamPerCall: number
  /** the server process's CPU time (all its threads, GC included) per call it received; with cpuWindowsMs, their median */
  relayCpuMsPerCall: number
  /** a ratio target's rows (npm run bench): the CPU a call of each window, taken in turn with the other row's */
  cpuWindowsMs?: number[]
  /** V8's garbage-collection pauses per call (PerformanceObserver gc entries: wall time, so a busy machine inflates it) */
  gcMsPerCall?: number
  peakRssMB: number
  /** 'window': the peak of the measured window alone; 'process': of the whole server process */
  peakOf: 'window' | 'process'
  answerBytes: number
  sightings: number
  /** where the server's CPU went in the window, from its own profiler (profile: 'during') */
  profile?: ProfileSplit
}

export interface Verdict {
  workload: string
  target: string
  figure: string
  pass: boolean
}

/** Every row a workload names (its floor, its target's) is a workload of the list, a measured one; names are unique. */
export function checkList (workloads: Workload[]): void {
  const names = new Set<string>()
  const measured = new Set<string>()
  for (const [i, workload] of workloads.entries()) {
    if (names.has(workload.name)) throw new Error(`${workload.name}: two workloads of that name`)
    names.add(workload.name)
    if (workload.profile !== 'only') measured.add(workload.name)
    if (workload.server.kind === 'limit' && workloads[i - 1]?.server.kind !== 'relay') throw new Error(`${workload.name}: a limit row follows a relay row, whose process answers it`)
  }
  for (const workload of workloads) {
    const named = [workload.floor, workload.target?.kind === 'CPU against' ? workload.target.row : undefined]
    for (const name of named) {
      if (name !== undefined && !measured.has(name)) throw new Error(`${workload.name}: no measured workload ${name} to set it against`)
    }
  }
}

/**
 * The workloads `names` asks for (BENCH_WORKLOADS: names, comma-separated; every workload when
 * empty), in the list's order, with each row they are set against and the relay a limit row needs.
 */
export function select (workloads: Workload[], names: string | undefined): Workload[] {
  const wanted = new Set<string>()
  const add = (name: string): void => {
    const index = workloads.findIndex(workload => workload.name === name)
    if (index < 0) throw new Error(`BENCH_WORKLOADS: no workload ${name} (the workloads: ${workloads.map(workload => workload.name).join(', ')})`)
    if (wanted.has(name)) return
    wanted.add(name)
    const { floor, target, server } = workloads[index]
    if (floor !== undefined) add(floor)
    if (target?.kind === 'CPU against') add(target.row)
    if (server.kind === 'limit') add(workloads[index - 1].name)
  }
  for (const name of (names ?? '').split(',').map(each => each.trim()).filter(each => each !== '')) add(name)
  return wanted.size === 0 ? workloads : workloads.filter(workload => wanted.has(workload.name))
}

/** Every workload of the list has its row, with figures (calls answered) and the C1fApp requests per call it must make. */
export function checkRows (workloads: Workload[], rows: Map<string, Row>): void {
  for (const workload of workloads) {
    if (workload.profile === 'only') continue
    const row = rows.get(workload.name)
    if (row === undefined || !(row.relayCalls > 0)) throw new Error(`${workload.name}: its figures did not come out (no row, or no call answered)`)
    if (workload.upstreamPerCall !== undefined && row.upstreamCalls !== workload.upstreamPerCall * row.relayCalls) {
      throw new Error(`${workload.name}: ${row.upstreamCalls} C1fApp requests for ${row.relayCalls} calls, not ${workload.upstreamPerCall} a call`)
    }
  }
}

const fixed = (value: number, digits = 2): string => value.toFixed(digits)

/** The workload's target, PASS or FAIL, and its figure; undefined for a row without one. */
export function verdict (workload: Workload, rows: Map<string, Row>, memoryLimitMB: number): Verdict | undefined {
  const { target } = workload
  if (target === undefined) return undefined
  const row = rows.get(workload.name) as Row
  const cpu = row.relayCpuMsPerCall
  const judged = (text: string, figure: string, pass: boolean): Verdict => ({ workload: workload.name, target: text, figure, pass })
  switch (target.kind) {
    case 'CPU against': {
      const other = (rows.get(target.row) as Row).relayCpuMsPerCall
      const windows = row.cpuWindowsMs === undefined ? '' : ` (medians of ${row.cpuWindowsMs.length} windows each, in turn)`
      return judged(`CPU ≤ ${target.times} × ${target.row}'s`, `${fixed(cpu)} ÷ ${fixed(other)} ms = ${fixed(cpu / other)}×${windows}`, cpu <= target.times * other)
    }
    case 'CPU':
      return judged(`CPU ≤ ${target.ms} ms a call`, `${fixed(cpu)} ms`, cpu <= target.ms)
    case 'peak RSS': {
      const most = target.shareOfMemoryLimit * memoryLimitMB
      return judged(`peak RSS ≤ ${100 * target.shareOfMemoryLimit} % of ${memoryLimitMB} MiB`, `${fixed(row.peakRssMB, 1)} of ${fixed(most, 0)} MiB`, row.peakRssMB <= most)
    }
    case 'time':
      return judged(`≤ ${target.ms} ms to the answer`, `${fixed(row.latencyMs.p50, 0)} ms`, row.latencyMs.p50 <= target.ms)
  }
}

function pad (cells: string[][]): string {
  const widths = cells[0].map((_, column) => Math.max(...cells.map(row => row[column].length)))
  return cells.map(row => row.map((cell, column) => column === 0 || column >= row.length - 3
    ? cell.padEnd(widths[column])
    : cell.padStart(widths[column])).join('  ').trimEnd()).join('\n')
}

const optional = (value: number | undefined, digits: number): string => value === undefined ? '' : value.toFixed(digits)

/** One table: a row per measured workload in the list's order, its figures, and its target's verdict. */
export function table (workloads: Workload[], rows: Map<string, Row>, verdicts: Verdict[]): string {
  const lines = workloads.filter(workload => workload.profile !== 'only').map(workload => {
    const row = rows.get(workload.name) as Row
    const floor = workload.floor === undefined ? undefined : rows.get(workload.floor) as Row
    const judged = verdicts.find(each => each.workload === workload.name)
    return [
      row.workload,
      String(row.connections),
      optional(row.requestsPerSecond, 0),
      fixed(row.latencyMs.p50, 1),
      optional(row.latencyMs.p97_5, 1),
      fixed(row.latencyMs.p99, 1),
      String(row.non2xx + row.socketErrors + row.errorAnswers),
      String(row.relayCalls),
      fixed(row.upstreamPerCall, 3),
      fixed(row.relayCpuMsPerCall),
      floor === undefined ? '' : `${fixed(row.relayCpuMsPerCall / floor.relayCpuMsPerCall)}×`,
      optional(row.gcMsPerCall, 2),
      fixed(row.peakRssMB, 1) + (row.peakOf === 'window' ? '' : '*'),
      fixed(row.answerBytes / 1024, 1),
      judged === undefined ? '' : judged.pass ? 'PASS' : 'FAIL',
      judged?.target ?? '',
      judged?.figure ?? ''
    ]
  })
  const header = ['workload', 'conns', 'req/s', 'p50 ms', 'p97.5 ms', 'p99 ms', 'errors', 'calls', 'up/call', 'CPU ms/call', '× FLOOR', 'GC ms/call', 'peak RSS MB', 'answer KB', 'result', 'target', 'figure']
  return pad([header, ...lines])
}
