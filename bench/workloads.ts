// The bench's workloads, in the order `npm run bench` runs them (bench/table.ts says what each field
// means). Adding a workload is one entry here; `npm run bench:ab` measures the relay's entries by name.
import type { Workload } from './table.js'

const CACHE_OFF = { CACHE_TTL_S: '0' }
const W3_UPSTREAM = { delayMs: 50 }
const W5_RECORDS = 1000
const W5_ENV = { ...CACHE_OFF, CTR_ENTITIES_LIMIT: String(W5_RECORDS) }
/** issue 25: the relay's CPU a call, at most this many times FLOOR+got's (W1 and W2) */
const FLOOR_GOT_TIMES = 1.3

export const WORKLOADS: Workload[] = [
  {
    name: 'W1',
    what: '1 domain (34 records), cache off',
    server: { kind: 'relay', env: CACHE_OFF },
    observables: 'one domain',
    upstreamPerCall: 1,
    floor: 'FLOOR·W1',
    target: { kind: 'CPU against', row: 'FLOOR+got·W1', times: FLOOR_GOT_TIMES }
  },
  { name: 'LIMIT', what: "W1's answer bytes from memory, same instance", server: { kind: 'limit' }, observables: 'one domain', upstreamPerCall: 0 },
  { name: 'FLOOR·W1', what: "W1's calls answered by FLOOR", server: { kind: 'floor', client: 'node:http' }, observables: 'one domain', upstreamPerCall: 1 },
  { name: 'FLOOR+got·W1', what: "W1's calls answered by FLOOR asking through got", server: { kind: 'floor', client: 'got' }, observables: 'one domain', upstreamPerCall: 1 },
  {
    name: 'W2',
    what: '10 observables (4 domains, 3 IPs, 3 URLs; 224 records), cache off',
    server: { kind: 'relay', env: CACHE_OFF },
    observables: 'ten observables',
    upstreamPerCall: 10,
    floor: 'FLOOR',
    target: { kind: 'CPU against', row: 'FLOOR+got', times: FLOOR_GOT_TIMES },
    profile: 'after'
  },
  { name: 'FLOOR', what: "W2's calls answered by FLOOR: ten upstream POSTs each", server: { kind: 'floor', client: 'node:http' }, observables: 'ten observables', upstreamPerCall: 10, profile: 'after' },
  { name: 'FLOOR+got', what: "W2's calls answered by FLOOR asking through got", server: { kind: 'floor', client: 'got' }, observables: 'ten observables', upstreamPerCall: 10, profile: 'after' },
  {
    name: 'FLOOR asking and parsing only',
    what: "W2's calls: FLOOR asks and parses, maps nothing, answers {}",
    server: { kind: 'floor', client: 'node:http', work: 'parse' },
    observables: 'ten observables',
    profile: 'only'
  },
  {
    name: 'W3',
    what: `W2, C1fApp answering after ${W3_UPSTREAM.delayMs} ms`,
    server: { kind: 'relay', env: CACHE_OFF },
    observables: 'ten observables',
    upstream: W3_UPSTREAM,
    upstreamPerCall: 10,
    floor: 'FLOOR·W3'
  },
  { name: 'FLOOR·W3', what: "W3's calls answered by FLOOR", server: { kind: 'floor', client: 'node:http' }, observables: 'ten observables', upstream: W3_UPSTREAM, upstreamPerCall: 10 },
  {
    name: 'W3·1',
    what: 'W3 with 1 connection: one investigation at a time',
    server: { kind: 'relay', env: CACHE_OFF },
    observables: 'ten observables',
    connections: 1,
    upstream: W3_UPSTREAM,
    upstreamPerCall: 10,
    floor: 'FLOOR·W3'
  },
  {
    name: 'FLOOR+got·W3·1',
    what: "W3·1's calls answered by FLOOR asking through got",
    server: { kind: 'floor', client: 'got' },
    observables: 'ten observables',
    connections: 1,
    upstream: W3_UPSTREAM,
    upstreamPerCall: 10
  },
  {
    name: 'W4',
    what: 'W2 with the cache warm (CACHE_TTL_S 600)',
    server: { kind: 'relay', env: { CACHE_TTL_S: '600' } },
    observables: 'ten observables',
    upstreamPerCall: 0,
    floor: 'FLOOR',
    target: { kind: 'CPU', ms: 1.0 }
  },
  { name: 'LIMIT·W4', what: "W4's answer bytes from memory, same instance", server: { kind: 'limit' }, observables: 'ten observables', upstreamPerCall: 0 },
  {
    name: 'W5',
    what: `1 domain, ${W5_RECORDS} records, CTR_ENTITIES_LIMIT ${W5_RECORDS}, cache off (profiled)`,
    server: { kind: 'relay', env: W5_ENV },
    observables: 'one domain',
    upstream: { records: W5_RECORDS },
    upstreamPerCall: 1,
    target: { kind: 'peak RSS', shareOfMemoryLimit: 0.7 },
    profile: 'during'
  },
  {
    name: 'W5·1',
    what: 'W5 with 1 connection: the time of one call',
    server: { kind: 'relay', env: W5_ENV },
    observables: 'one domain',
    connections: 1,
    upstream: { records: W5_RECORDS },
    upstreamPerCall: 1,
    split: true
  },
  {
    name: 'COLD',
    what: "fresh processes importing npm run build:lambda's handler, one W1 call each (median)",
    server: { kind: 'lambda', runs: 5 },
    observables: 'one domain',
    connections: 1,
    upstreamPerCall: 1,
    // 0.8 × the original Flask relay's cold start on this machine (277 to 345 ms, issue 25)
    target: { kind: 'time', ms: 220 }
  }
]
