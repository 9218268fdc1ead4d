// COLD: a fresh node process that imports the built Lambda handler (BENCH_HANDLER, a file URL) and
// answers its first observe call, as a new Lambda instance does. Prints its timings as one JSON
// line: milliseconds since the process started, when the handler's import began (node's own start-up
// before it) and ended, and the first answer; the process's CPU time and peak RSS by then; the answer.
import { performance } from 'node:perf_hooks'

interface Handler { handler: (event: unknown, context: unknown) => Promise<{ statusCode: number, body: string }> }

const started = performance.now()
const { handler } = await import(process.env.BENCH_HANDLER as string) as Handler
const imported = performance.now()
const path = '/observe/observables'
const answer = await handler({
  version: '2.0',
  routeKey: `POST ${path}`,
  rawPath: path,
  rawQueryString: '',
  headers: { authorization: process.env.BENCH_AUTHORIZATION, 'content-type': 'application/json' },
  requestContext: { http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'bench' }, requestId: 'cold', stage: '$default' },
  body: process.env.BENCH_BODY,
  isBase64Encoded: false
}, {})
const answered = performance.now()
const sightings = (JSON.parse(answer.body) as { data?: { sightings?: { count: number } } }).data?.sightings?.count ?? 0
const { userCPUTime, systemCPUTime, maxRSS } = process.resourceUsage()
console.log(JSON.stringify({
  startMs: started,
  importedMs: imported,
  answeredMs: answered,
  cpuMs: (userCPUTime + systemCPUTime) / 1000,
  maxRssKB: maxRSS,
  status: answer.statusCode,
  sightings,
  bytes: Buffer.byteLength(answer.body)
}))
process.exit(0)
