// `npm run bench:ab -- <name>=<git ref>[ <node options>] …`: A/B of the relay's variants in one run.
// Each variant is a commit (`.` is the working tree as `npm run build` built it), built apart
// (git archive, tsc) and run as bench/relay-process.ts runs the relay, with its own node options
// (none unless given, e.g. `opts='HEAD --max-semi-space-size=8'`). Round after round, the variants
// take turns (each round starts one further along), each on fresh processes, against one C1fApp
// simulator; the figures are the medians of the rounds, so that the drift of a shared machine falls
// on every variant alike. The workloads are bench/workloads.ts's relay workloads, as `npm run
// bench` runs them, but without load shedding; by default W2 (10 observables, cache off), W4 (W2
// from a warm cache) and W5 (1 domain, 1 000 records: its peak RSS); BENCH_AB_WORKLOADS picks
// others (e.g. `W1,W2`), COLD among them: each variant's Lambda handler, built by its own
// scripts/build-lambda.ts, in fresh processes (its figures: the median of each round's runs).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Peer } from './ipc.js'
import { bundleChildren, measure, measureCold, median, OBSERVE_PATH, relayEnv, root, setting, startChild, WorkloadData } from './measure.js'
import type { RelayReady, RelayRequest, SimulatorReady, SimulatorRequest } from './protocol.js'
import { onShippedNode } from './shipped-node.js'
import type { Row, Workload } from './table.js'
import { WORKLOADS } from './workloads.js'

const ROUNDS = setting('BENCH_AB_ROUNDS', 5, 1)
const SECONDS = setting('BENCH_SECONDS', 5, 1)
const WARMUP_SECONDS = setting('BENCH_WARMUP_SECONDS', 2, 0)
const CONNECTIONS = setting('BENCH_CONNECTIONS', 16, 1)

interface Variant { name: string, ref: string, options: string[], relayFile: string, handler: string }

/** The relay and COLD workloads BENCH_AB_WORKLOADS names (W2, W4 and W5 by default). */
function workloads (): Workload[] {
  return (process.env.BENCH_AB_WORKLOADS || 'W2,W4,W5').split(',').map(name => {
    const workload = WORKLOADS.find(each => each.name === name.trim())
    if (workload?.server.kind !== 'relay' && workload?.server.kind !== 'lambda') throw new Error(`BENCH_AB_WORKLOADS: ${name} is none of bench/workloads.ts's relay workloads or COLD`)
    return workload
  })
}

/** The variant's tree, built: `.` is this one (built by npm run build); any other ref is archived and compiled apart. */
async function prepare (spec: string, work: string, cold: boolean): Promise<Variant> {
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
  const outdir = path.join(work, `${name}-bench`)
  await bundleChildren(dir, ['relay-process.ts'], outdir)
  // beside the variant's dist/, whose node_modules/ it finds
  const handler = path.join(dir, 'dist', 'lambda-bundle.js')
  if (cold) {
    const { bundleLambda } = await import(pathToFileURL(path.join(dir, 'scripts', 'build-lambda.ts')).href) as { bundleLambda: (outfile: string) => Promise<void> }
    await bundleLambda(handler)
  }
  return { name, ref, options, relayFile: path.join(outdir, 'relay-process.mjs'), handler }
}

async function main (): Promise<void> {
  const specs = process.argv.slice(2)
  if (specs.length < 2) throw new Error('usage: npm run bench:ab -- <name>=<git ref>[ <node options>] <name>=<git ref> …')
  const chosen = workloads()
  const work = mkdtempSync(path.join(os.tmpdir(), 'c1fapp-ab-'))
  let simulator: Peer<SimulatorRequest> | undefined
  try {
    const variants: Variant[] = []
    const cold = chosen.some(workload => workload.server.kind === 'lambda')
    for (const spec of specs) variants.push(await prepare(spec, work, cold))
    await bundleChildren(root, ['simulator-process.ts', 'cold-process.ts'], work)
    const started = await startChild<SimulatorRequest, SimulatorReady>(path.join(work, 'simulator-process.mjs'), {})
    simulator = started.peer
    const data = new WorkloadData()
    const figures = new Map<string, Row[]>()
    console.error(`A/B on Node.js ${process.version}: ${ROUNDS} rounds, each workload ${WARMUP_SECONDS} s warm-up and ${SECONDS} s measured, ${CONNECTIONS} connections; ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(2)}`)
    for (let round = 0; round < ROUNDS; round++) {
      for (const workload of chosen) {
        const { server } = workload
        // no load shedding: on a busy machine it would answer some calls with a cheap error instead of their work
        const env = relayEnv(started.ready.url, 'warn', { ...(server.kind === 'relay' ? server.env : {}), MAX_EVENT_LOOP_DELAY_MS: '0' })
        const unscript = await data.script(simulator, workload)
        for (let turn = 0; turn < variants.length; turn++) {
          const variant = variants[(round + turn) % variants.length]
          let row: Row
          if (server.kind === 'lambda') {
            ({ row } = await measureCold(workload, simulator, env, variant.handler, path.join(work, 'cold-process.mjs'), server.runs, data.body(workload)))
          } else {
            const { peer, ready } = await startChild<RelayRequest, RelayReady>(variant.relayFile, env, variant.options)
            try {
              row = await measure(workload, simulator, { peer, port: ready.port }, OBSERVE_PATH, data.body(workload),
                { seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: workload.connections ?? CONNECTIONS })
            } finally {
              await peer.stop()
            }
          }
          const key = `${workload.name} ${variant.name}`
          if (row.errorAnswers > 0) throw new Error(`${key}: ${row.errorAnswers} answers with errors`)
          figures.set(key, [...(figures.get(key) ?? []), row])
          console.error(`  round ${round + 1} ${key}: ${row.relayCpuMsPerCall.toFixed(2)} ms CPU a call, p50 ${row.latencyMs.p50.toFixed(0)} ms, p99 ${row.latencyMs.p99.toFixed(0)} ms, peak RSS ${row.peakRssMB.toFixed(0)} MB`)
        }
        await unscript()
      }
    }
    const lines = ['| workload | variant | CPU ms a call (median; min–max) | vs the first | p50 ms | p99 ms | peak RSS MB |', '|---|---|---|---|---|---|---|']
    const summary: Record<string, unknown> = {}
    for (const workload of chosen) {
      const first = median((figures.get(`${workload.name} ${variants[0].name}`) as Row[]).map(each => each.relayCpuMsPerCall))
      for (const variant of variants) {
        const runs = figures.get(`${workload.name} ${variant.name}`) as Row[]
        const cpu = runs.map(each => each.relayCpuMsPerCall)
        const row = {
          cpuMsPerCall: median(cpu),
          min: Math.min(...cpu),
          max: Math.max(...cpu),
          p50Ms: median(runs.map(each => each.latencyMs.p50)),
          p99Ms: median(runs.map(each => each.latencyMs.p99)),
          peakRssMB: Math.max(...runs.map(each => each.peakRssMB))
        }
        summary[`${workload.name} ${variant.name}`] = { ...row, runs }
        lines.push(`| ${workload.name} | ${variant.name} (${variant.ref}${variant.options.length > 0 ? ' ' + variant.options.join(' ') : ''}) | ${row.cpuMsPerCall.toFixed(2)}; ${row.min.toFixed(2)}–${row.max.toFixed(2)} | ` +
          `${variant === variants[0] ? '' : `${(100 * (row.cpuMsPerCall / first - 1)).toFixed(1)} %`} | ${row.p50Ms.toFixed(0)} | ${row.p99Ms.toFixed(0)} | ${row.peakRssMB.toFixed(0)} |`)
      }
    }
    console.log(lines.join('\n'))
    writeFileSync(path.join(root, 'bench', 'ab-results.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, rounds: ROUNDS, seconds: SECONDS, figures: summary }, null, 2)}\n`)
  } finally {
    await simulator?.stop()
    rmSync(work, { recursive: true, force: true })
  }
}

onShippedNode(fileURLToPath(import.meta.url))
await main()
