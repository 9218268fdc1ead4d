// FLOOR: the least the relay's work can cost in Node on this machine, for the bench only. A bare
// node:http server that, per call, reads the observables, makes the same upstream POSTs (one per
// distinct value, concurrently) over a keep-alive node:http agent, JSON.parses the answers, runs the
// project's own mapping (lib/relay-answer.ts's observeAnswer, which writes the answer's JSON) and
// sends that as one Buffer. No Fastify, no got, no JWT check, no validation, no cache: what is left
// is what any relay must do.
// FLOOR+got (FLOOR_CLIENT=got) is the same server asking C1fApp through got instead, the relay's
// way (clients/c1fapp.ts: its stream API, the options built once, the answer read by hand): the
// least this work can cost with got as the C1fApp client, as the design card has it.
// With FLOOR_WORK=parse it only asks and JSON.parses the answers, and answers `{}`: what the
// collector costs any relay before it reads a record or writes an entity.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { PerformanceObserver } from 'node:perf_hooks'
import { c1fappRequestOptions, requestWith } from '../clients/c1fapp.js'
import { readRecords, type RecordsRead } from '../lib/c1fapp/record.js'
import { answerBytes, observeAnswer } from '../lib/relay-answer.js'
import type { Observable } from '../lib/observables.js'
import { serve } from './ipc.js'
import { startProfile, type ProfileSplit } from './profile.js'
import type { RelayReady, RelayRequest, RelayStats } from './protocol.js'

const upstream = new URL(process.env.C1FAPP_API_URL as string)
const key = process.env.FLOOR_C1FAPP_KEY as string
const limit = Number(process.env.CTR_ENTITIES_LIMIT ?? 100)
const parseOnly = process.env.FLOOR_WORK === 'parse'
const NOTHING = Buffer.from('{}')
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
const stats: RelayStats = { calls: 0, errorAnswers: 0, gcMs: 0 }
let stopProfile: (() => Promise<ProfileSplit>) | undefined
new PerformanceObserver(list => { for (const entry of list.getEntries()) stats.gcMs += entry.duration }).observe({ entryTypes: ['gc'] })

function read (stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.once('end', () => resolve(Buffer.concat(chunks).toString()))
    stream.once('error', reject)
  })
}

const gotOptions = c1fappRequestOptions(upstream.href, { http: agent })

/** C1fApp's answer, read as the relay reads it (or only parsed, FLOOR_WORK=parse); named as the relay's, which bench/profile.ts counts as reading */
function readAnswer (text: string): RecordsRead {
  const parsed = JSON.parse(text) as unknown[]
  return parseOnly ? { records: [], received: parsed.length, kept: false } : readRecords(parsed)
}

async function askThroughGot (body: string): Promise<RecordsRead> {
  const request = requestWith(undefined, { body }, gotOptions)
  const text = await read(request)
  // as the relay does: frees the request at once
  request.destroy()
  return readAnswer(text)
}

function ask (value: string): Promise<RecordsRead> {
  const body = JSON.stringify({ key, format: 'json', backend: 'es', request: value })
  if (process.env.FLOOR_CLIENT === 'got') return askThroughGot(body)
  return new Promise((resolve, reject) => {
    const request = http.request(upstream, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
    }, response => { read(response).then(text => resolve(readAnswer(text)), reject) })
    request.once('error', reject)
    request.end(body)
  })
}

const server = http.createServer((request, response) => {
  stats.calls++
  read(request)
    .then(async text => {
      const observables = JSON.parse(text) as Observable[]
      const records = await Promise.all(observables.map(({ value }) => ask(value)))
      // the relay's own way to write and send the answer: its JSON text, encoded once
      const answer = parseOnly ? NOTHING : answerBytes(observeAnswer(observables, records, { limit, now: Date.now(), validDays: 7, maxBytes: 5000000 }).answer)
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': answer.length })
      response.end(answer)
    })
    .catch((error: Error) => {
      stats.errorAnswers++
      response.writeHead(500).end(error.message)
    })
})
server.keepAliveTimeout = 72_000
server.listen(0, '127.0.0.1', () => {
  process.on('disconnect', () => { server.close(() => process.exit(0)); agent.destroy() })
  serve<RelayRequest>({ port: (server.address() as AddressInfo).port } satisfies RelayReady, async request => {
    if (request.op === 'profile') stopProfile = await startProfile()
    if (request.op === 'profiled' && stopProfile !== undefined) return stopProfile()
    return { ...stats }
  })
})
