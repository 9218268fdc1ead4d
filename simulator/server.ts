// A stand-in for C1fApp's API (contract §2) on a real socket, so the relay's HTTP client is tested
// and demonstrated end to end: statuses, bodies, slowness and broken connections included.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { buildDataset, type C1fAppRawRecord } from './dataset.js'

export const DEMO_API_KEY = 'demo-c1fapp-key-0000000000000000'
export const API_PATH = '/cifapp/api/'

export interface ScriptedAnswer {
  status?: number // default 200; with no body, the normal answer's status
  body?: unknown // a string is sent as is, a Buffer as is as JSON (a large answer, encoded once); anything else JSON.stringify'd; absent: the normal answer for the request
  headers?: Record<string, string>
  delayMs?: number // wait before sending anything
  heldUntil?: Promise<unknown> // then send nothing until this settles: a test holds requests in flight for as long as it needs, and lets them go
  drop?: 'before-headers' | 'mid-body' // destroy the socket: at once, or after sending headers and part of the body
  trickleMs?: number // send the body in small chunks with this pause between them
  chunked?: boolean // no content-length: the body is sent chunked, its size unknown until it ends
}

export interface SimulatorRequest { method: string, url: string, headers: IncomingHttpHeaders, body: string }

export interface Simulator {
  url: string
  requests: SimulatorRequest[]
  script (request: string, answer: ScriptedAnswer | ScriptedAnswer[]): void
  /** the key's plan: `limit` requests a UTC day, answered HTTP 429 past it, as C1fApp's plans are */
  dailyLimit (key: string, limit: number): void
  reset (): void
  close (): Promise<void>
}

// C1fApp's own words, which the relay recognises (contract §2)
const EMPTY_SEARCH = 'Empty Search! Available search: IPv4/URL/Domain'
const UNSUPPORTED = 'Unsupported request ? IPv4/Domain only'
/** C1fApp's text past a plan's daily quota is not documented: a plain 429 stands for it. */
export const QUOTA_EXCEEDED = 'Too Many Requests'

const TRICKLE_CHUNK = 16

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/
const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/

interface Answer { status: number, headers: Record<string, string>, body: string | Buffer }

const text = (status: number, body: string): Answer =>
  ({ status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body })
const json = (status: number, body: unknown): Answer =>
  ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

function parseJson (body: string): unknown {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

function isSearchable (value: string): boolean {
  return IPV4.test(value) || DOMAIN.test(value) || (/^https?:\/\//.test(value) && URL.canParse(value))
}

// Resolves when the time is up or the client has gone away, whichever comes first, so close()
// never waits for a scripted delay.
function pause (ms: number, res: ServerResponse): Promise<void> {
  return new Promise(resolve => {
    const done = (): void => {
      clearTimeout(timer)
      res.off('close', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    res.once('close', done)
  })
}

// Resolves when the gate settles or the client has gone away, whichever comes first.
function held (gate: Promise<unknown>, res: ServerResponse): Promise<void> {
  return new Promise(resolve => {
    const done = (): void => {
      res.off('close', done)
      resolve()
    }
    res.once('close', done)
    gate.then(done, done)
  })
}

function write (res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise(resolve => res.write(chunk, () => resolve()))
}

async function send (res: ServerResponse, answer: Answer, script: ScriptedAnswer): Promise<void> {
  await pause(script.delayMs ?? 0, res)
  if (script.heldUntil !== undefined) await held(script.heldUntil, res)
  if (res.destroyed) return
  if (script.drop === 'before-headers') {
    res.destroy()
    return
  }
  const body = Buffer.isBuffer(answer.body) ? answer.body : Buffer.from(answer.body)
  res.writeHead(answer.status, script.chunked === true ? { ...answer.headers } : { 'content-length': String(body.length), ...answer.headers })
  res.flushHeaders()
  const sent = script.drop === 'mid-body' ? body.subarray(0, Math.floor(body.length / 2)) : body
  const trickleMs = script.trickleMs ?? 0
  const size = trickleMs > 0 ? TRICKLE_CHUNK : Math.max(sent.length, 1)
  for (let offset = 0; offset < sent.length && !res.destroyed; offset += size) {
    if (offset > 0) await pause(trickleMs, res)
    await write(res, sent.subarray(offset, offset + size))
  }
  if (script.drop === 'mid-body' || res.destroyed) res.destroy()
  else res.end()
}

export async function startSimulator (options: {
  host?: string
  port?: number
  keys?: string[]
  dataset?: Map<string, C1fAppRawRecord[]>
} = {}): Promise<Simulator> {
  const { host = '127.0.0.1', port = 0, keys = [DEMO_API_KEY], dataset = buildDataset() } = options
  const validKeys = new Set<unknown>(keys)
  const scripts = new Map<string, ScriptedAnswer[]>()
  const requests: SimulatorRequest[] = []
  const limits = new Map<unknown, number>()
  /** each key's requests on the last UTC day it asked */
  const spent = new Map<unknown, { day: string, count: number }>()

  /** one more request of the key today: within its plan? */
  function withinPlan (key: unknown): boolean {
    const limit = limits.get(key)
    if (limit === undefined) return true
    const day = new Date().toISOString().slice(0, 10)
    const today = spent.get(key)?.day === day ? spent.get(key) as { day: string, count: number } : { day, count: 0 }
    today.count += 1
    spent.set(key, today)
    return today.count <= limit
  }

  function normalAnswer (method: string, url: string, body: unknown): Answer {
    if (method !== 'POST' || url.split('?')[0] !== API_PATH) return text(404, 'Not Found')
    if (!isObject(body)) return text(400, 'Bad Request')
    if (!validKeys.has(body.key)) return text(403, 'Invalid API key')
    if (!withinPlan(body.key)) return text(429, QUOTA_EXCEEDED)
    const value = typeof body.request === 'string' ? body.request.trim().toLowerCase() : ''
    if (value === '') return text(200, EMPTY_SEARCH)
    if (!isSearchable(value)) return text(200, UNSUPPORTED)
    return json(200, dataset.get(value) ?? [])
  }

  // an array's answers are used once each, in order, and its last one then sticks
  function scriptFor (request: string): ScriptedAnswer | undefined {
    const answers = scripts.get(request) ?? scripts.get('*')
    return answers !== undefined && answers.length > 1 ? answers.shift() : answers?.[0]
  }

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk)
    const request: SimulatorRequest = {
      method: req.method as string,
      url: req.url as string,
      headers: req.headers,
      body: Buffer.concat(chunks).toString()
    }
    requests.push(request)
    const parsed = parseJson(request.body)
    const normal = normalAnswer(request.method, request.url, parsed)
    const script = scriptFor(isObject(parsed) && typeof parsed.request === 'string' ? parsed.request : '') ?? {}
    const base = script.body === undefined
      ? normal
      : typeof script.body === 'string'
        ? text(200, script.body)
        : Buffer.isBuffer(script.body) ? { ...json(200, []), body: script.body } : json(200, script.body)
    const headers = { ...base.headers }
    for (const [name, value] of Object.entries(script.headers ?? {})) headers[name.toLowerCase()] = value
    await send(res, { status: script.status ?? base.status, headers, body: base.body }, script)
  }

  // a client that goes away while sending its request leaves nothing to answer
  const server = createServer((req, res) => { handle(req, res).catch(() => res.destroy()) })
  server.listen(port, host)
  await once(server, 'listening')
  const address = server.address() as AddressInfo
  const hostname = address.family === 'IPv6' ? `[${address.address}]` : address.address

  return {
    url: `http://${hostname}:${address.port}${API_PATH}`,
    requests,
    script (request, answer) {
      scripts.set(request, Array.isArray(answer) ? [...answer] : [answer])
    },
    dailyLimit (key, limit) {
      limits.set(key, limit)
    },
    reset () {
      scripts.clear()
      requests.length = 0
    },
    close () {
      return new Promise(resolve => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    }
  }
}
