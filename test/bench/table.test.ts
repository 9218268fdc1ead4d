// The bench as a table (bench/table.ts, bench/workloads.ts): the list of workloads is consistent,
// a workload whose figures did not come out fails the run with its name, and each target prints
// PASS or FAIL with its figure. No load is run here: rows are made by hand.
import t from 'tap'
import { checkList, checkRows, select, table, verdict, type Row, type Workload } from '../../bench/table.js'
import { WORKLOADS } from '../../bench/workloads.js'

function row (workload: string, figures: Partial<Row> = {}): Row {
  return {
    workload,
    what: `${workload}'s calls`,
    connections: 16,
    seconds: 10,
    requestsPerSecond: 100,
    latencyMs: { p50: 10, p97_5: 20, p99: 30 },
    non2xx: 0,
    socketErrors: 0,
    errorAnswers: 0,
    relayCalls: 1000,
    upstreamCalls: 1000,
    upstreamPerCall: 1,
    relayCpuMsPerCall: 1,
    gcMsPerCall: 0.1,
    peakRssMB: 100,
    peakOf: 'window',
    answerBytes: 2048,
    sightings: 34,
    ...figures
  }
}

const relay = { kind: 'relay', env: {} } as const
const floor = { kind: 'floor', client: 'got' } as const

t.test("issue 25's targets, each on its workload; the list names only its own rows", async t => {
  t.doesNotThrow(() => checkList(WORKLOADS))
  const targets = Object.fromEntries(WORKLOADS.filter(each => each.target !== undefined).map(each => [each.name, each.target]))
  t.strictSame(targets, {
    W1: { kind: 'CPU against', row: 'FLOOR+got·W1', times: 1.3 },
    W2: { kind: 'CPU against', row: 'FLOOR+got', times: 1.3 },
    W4: { kind: 'CPU', ms: 1.0 },
    W5: { kind: 'peak RSS', shareOfMemoryLimit: 0.7 },
    COLD: { kind: 'time', ms: 220 }
  })
  t.strictSame(WORKLOADS.filter(each => each.server.kind === 'relay' || each.server.kind === 'lambda').map(each => each.name),
    ['W1', 'W2', 'W3', 'W3·1', 'W4', 'W5', 'W5·1', 'COLD'])
})

t.test('checkList: a name twice, a limit row without its relay, or a row set against an unknown one', async t => {
  const w1: Workload = { name: 'W1', what: 'one', server: relay, observables: 'one domain', floor: 'FLOOR·W1' }
  const floorW1: Workload = { name: 'FLOOR·W1', what: 'floor', server: floor, observables: 'one domain' }
  t.doesNotThrow(() => checkList([w1, floorW1]))
  t.throws(() => checkList([w1, floorW1, { ...floorW1 }]), { message: 'FLOOR·W1: two workloads of that name' })
  t.throws(() => checkList([floorW1, { name: 'LIMIT', what: 'limit', server: { kind: 'limit' }, observables: 'one domain' }]),
    { message: 'LIMIT: a limit row follows a relay row, whose process answers it' })
  t.throws(() => checkList([w1]), { message: 'W1: no measured workload FLOOR·W1 to set it against' })
  t.throws(() => checkList([floorW1, { ...w1, floor: undefined, target: { kind: 'CPU against', row: 'FLOOR+got·W1', times: 1.3 } }]),
    { message: 'W1: no measured workload FLOOR+got·W1 to set it against' })
  t.throws(() => checkList([w1, { ...floorW1, profile: 'only' }]), { message: 'W1: no measured workload FLOOR·W1 to set it against' }, 'a profile-only workload has no row')
})

t.test('checkRows: a workload whose figures did not come out fails with its name', async t => {
  const list: Workload[] = [
    { name: 'W2', what: 'ten', server: relay, observables: 'ten observables', upstreamPerCall: 10 },
    { name: 'W9', what: 'nine', server: relay, observables: 'one domain' },
    { name: 'parsing only', what: 'profile', server: floor, observables: 'ten observables', profile: 'only' }
  ]
  const rows = new Map([['W2', row('W2', { upstreamCalls: 10000 })], ['W9', row('W9')]])
  t.doesNotThrow(() => checkRows(list, rows), 'a profile-only workload needs no row')
  t.throws(() => checkRows(list, new Map([['W2', rows.get('W2') as Row]])), { message: 'W9: its figures did not come out (no row, or no call answered)' })
  t.throws(() => checkRows(list, new Map([...rows, ['W9', row('W9', { relayCalls: 0 })]])), { message: 'W9: its figures did not come out (no row, or no call answered)' })
  t.throws(() => checkRows(list, new Map([...rows, ['W2', row('W2', { upstreamCalls: 9999 })]])), { message: 'W2: 9999 C1fApp requests for 1000 calls, not 10 a call' })
})

t.test('verdict: each kind of target, PASS and FAIL, with its figure', async t => {
  const rows = new Map([
    ['W1', row('W1', { relayCpuMsPerCall: 0.9 })],
    ['FLOOR+got·W1', row('FLOOR+got·W1', { relayCpuMsPerCall: 0.75 })],
    ['W5', row('W5', { peakRssMB: 415.7 })],
    ['COLD', row('COLD', { latencyMs: { p50: 150.4, p99: 170 } })]
  ])
  const judge = (name: string, target: Workload['target']) => verdict({ name, what: name, server: relay, observables: 'one domain', target }, rows, 640)
  t.equal(judge('W1', undefined), undefined, 'a figure without a target')
  t.strictSame(judge('W1', { kind: 'CPU against', row: 'FLOOR+got·W1', times: 1.3 }),
    { workload: 'W1', target: "CPU ≤ 1.3 × FLOOR+got·W1's", figure: '0.90 ÷ 0.75 ms = 1.20×', pass: true })
  t.strictSame(judge('W1', { kind: 'CPU against', row: 'FLOOR+got·W1', times: 1.1 }),
    { workload: 'W1', target: "CPU ≤ 1.1 × FLOOR+got·W1's", figure: '0.90 ÷ 0.75 ms = 1.20×', pass: false })
  rows.set('W2', row('W2', { relayCpuMsPerCall: 4.2, cpuWindowsMs: [4.6, 4.2, 3.9] }))
  rows.set('FLOOR+got', row('FLOOR+got', { relayCpuMsPerCall: 3.5, cpuWindowsMs: [3.5, 3.6, 3.4] }))
  t.strictSame(judge('W2', { kind: 'CPU against', row: 'FLOOR+got', times: 1.3 }),
    { workload: 'W2', target: "CPU ≤ 1.3 × FLOOR+got's", figure: '4.20 ÷ 3.50 ms = 1.20× (medians of 3 windows each, in turn)', pass: true }, 'rows measured in turn')
  t.strictSame(judge('W1', { kind: 'CPU', ms: 1 }), { workload: 'W1', target: 'CPU ≤ 1 ms a call', figure: '0.90 ms', pass: true })
  t.strictSame(judge('W1', { kind: 'CPU', ms: 0.8 }), { workload: 'W1', target: 'CPU ≤ 0.8 ms a call', figure: '0.90 ms', pass: false })
  t.strictSame(judge('W5', { kind: 'peak RSS', shareOfMemoryLimit: 0.7 }), { workload: 'W5', target: 'peak RSS ≤ 70 % of 640 MiB', figure: '415.7 of 448 MiB', pass: true })
  t.strictSame(judge('W5', { kind: 'peak RSS', shareOfMemoryLimit: 0.6 }), { workload: 'W5', target: 'peak RSS ≤ 60 % of 640 MiB', figure: '415.7 of 384 MiB', pass: false })
  t.strictSame(judge('COLD', { kind: 'time', ms: 220 }), { workload: 'COLD', target: '≤ 220 ms to the answer', figure: '150 ms', pass: true })
  t.strictSame(judge('COLD', { kind: 'time', ms: 150 }), { workload: 'COLD', target: '≤ 150 ms to the answer', figure: '150 ms', pass: false })
})

t.test('table: one line per measured workload, in the list\'s order, each target with PASS or FAIL and its figure', async t => {
  const list: Workload[] = [
    { name: 'W1', what: 'one', server: relay, observables: 'one domain', floor: 'FLOOR·W1', target: { kind: 'CPU', ms: 1 } },
    { name: 'FLOOR·W1', what: 'floor', server: floor, observables: 'one domain' },
    { name: 'parsing only', what: 'profile', server: floor, observables: 'one domain', profile: 'only' },
    { name: 'COLD', what: 'cold', server: { kind: 'lambda', runs: 5 }, observables: 'one domain', target: { kind: 'time', ms: 100 } }
  ]
  const rows = new Map([
    ['W1', row('W1', { relayCpuMsPerCall: 0.9 })],
    ['FLOOR·W1', row('FLOOR·W1', { relayCpuMsPerCall: 0.45 })],
    ['COLD', row('COLD', { connections: 1, requestsPerSecond: undefined, latencyMs: { p50: 150, p99: 170 }, gcMsPerCall: undefined, relayCalls: 5, upstreamCalls: 5, peakOf: 'process' })]
  ])
  const verdicts = list.map(each => verdict(each, rows, 640)).filter(each => each !== undefined)
  const lines = table(list, rows, verdicts).split('\n')
  t.equal(lines.length, 4, 'a header and three rows: the profile-only workload has none')
  t.match(lines[0], /^workload\s+conns\s+req\/s\s+p50 ms\s+p97\.5 ms\s+p99 ms\s+errors\s+calls\s+up\/call\s+CPU ms\/call\s+× FLOOR\s+GC ms\/call\s+peak RSS MB\s+answer KB\s+result\s+target\s+figure$/)
  t.match(lines[1], /^W1 +16 +100 +10\.0 +20\.0 +30\.0 +0 +1000 +1\.000 +0\.90 +2\.00× +0\.10 +100\.0 +2\.0 +PASS +CPU ≤ 1 ms a call +0\.90 ms$/)
  t.match(lines[2], /^FLOOR·W1 +16 +100 +10\.0 +20\.0 +30\.0 +0 +1000 +1\.000 +0\.45 +0\.10 +100\.0 +2\.0$/)
  t.match(lines[3], /^COLD +1 +150\.0 +170\.0 +0 +5 +1\.000 +1\.00 +100\.0\* +2\.0 +FAIL +≤ 100 ms to the answer +150 ms$/)
})

t.test('select: the workloads asked for, with what they are set against and the relay a limit row needs', async t => {
  const names = (asked: string | undefined) => select(WORKLOADS, asked).map(each => each.name)
  t.equal(select(WORKLOADS, undefined), WORKLOADS)
  t.equal(select(WORKLOADS, ' '), WORKLOADS)
  t.strictSame(names('COLD'), ['COLD'])
  t.strictSame(names('W1, W4'), ['W1', 'FLOOR·W1', 'FLOOR+got·W1', 'FLOOR', 'W4'])
  t.strictSame(names('LIMIT·W4,LIMIT·W4'), ['FLOOR', 'W4', 'LIMIT·W4'])
  t.throws(() => select(WORKLOADS, 'W6'), { message: /^BENCH_WORKLOADS: no workload W6 \(the workloads: W1, LIMIT, FLOOR·W1, .*, COLD\)$/ })
})
