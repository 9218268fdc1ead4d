// The one way tests build the relay: build-server.ts's builder, as the process entries use it, with
// the test's own configuration, talking to a C1fApp simulator on loopback over real sockets.
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Value } from '@sinclair/typebox/value'
import { createSigner } from 'fast-jwt'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildServer, type Logging } from '../build-server.js'
import { readConfig } from '../lib/config.js'
import { Envelope } from '../lib/schemas/envelope.js'
import { ObserveBundleSchema } from '../lib/schemas/ctim.js'
import { DEMO_API_KEY, startSimulator, type Simulator } from '../simulator/server.js'

/** What the helpers need of a tap test. */
interface Test {
  teardown: (fn: () => unknown) => void
  equal: (found: any, wanted: any, ...rest: any[]) => boolean
  ok: (value: any, ...rest: any[]) => boolean
}

export const SECRET_KEY = 'test-secret-key-that-is-long-enough-0123456789'
export const C1FAPP_KEY = DEMO_API_KEY

export interface Relay {
  app: FastifyInstance
  simulator: Simulator
}

/** A relay on a fresh simulator; both close when the test ends. `clock`: buildApp's. */
export async function buildRelay (t: Test, env: Record<string, string | undefined> = {}, logging: Logging | false = false, clock?: () => number): Promise<Relay> {
  const simulator = await startSimulator()
  t.teardown(() => simulator.close())
  const relay = await buildApp(t, { C1FAPP_API_URL: simulator.url, ...env }, logging, undefined, clock)
  return { app: relay, simulator }
}

/**
 * The upstream protections (cache, retries, circuit breaker) change how often C1fApp is asked;
 * they are off here unless a test is about them, so every other test sees one request per query.
 */
export const PLAIN_UPSTREAM = { CACHE_TTL_S: '0', C1FAPP_RETRIES: '0', C1FAPP_BREAKER_FAILURES: '0', HEALTH_TRUST_S: '0' }

/**
 * The test process blocks its own event loop (RSA key generation, megabyte fuzz inputs, a busy CI
 * machine running test files side by side): that is no load on the relay, so the event-loop
 * check of load shedding is off unless a test is about it (test/plugins/load-shedding.test.ts).
 */
export const UNSHED = { MAX_EVENT_LOOP_DELAY_MS: '0' }

/**
 * The relay as server.ts builds it, ready; its log goes to `logging.stream` when given, else
 * nowhere. `beforeReady` may add to it first (a probe route of a test). `clock`, when given, tells
 * the daily quota and the in-process cache the time (a day's end, an entry's expiry, without
 * waiting for them).
 */
export async function buildApp (
  t: Test,
  env: Record<string, string | undefined> = {},
  logging: Logging | false = false,
  beforeReady?: (app: FastifyInstance) => void,
  clock?: () => number
): Promise<FastifyInstance> {
  const instance = await buildServer({ ...readConfig({ SECRET_KEY, ...PLAIN_UPSTREAM, ...UNSHED, ...env }), clock }, logging)
  t.teardown(() => instance.close())
  beforeReady?.(instance)
  await instance.ready()
  return instance
}

/** An HS256 token as the original relay's `jwt` tool makes it. */
export function token (payload: Record<string, unknown> = { key: C1FAPP_KEY }, secret = SECRET_KEY): string {
  return createSigner({ key: secret, algorithm: 'HS256' })(payload)
}

export function bearer (jwt = token()): Record<string, string> {
  return { authorization: `Bearer ${jwt}` }
}

export async function post (relay: FastifyInstance, url: string, body?: unknown, headers: Record<string, string> = bearer()): Promise<LightMyRequestResponse> {
  return relay.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...headers },
    payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  })
}

const answersDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'answers')
const ObserveAnswerSchema = Envelope(ObserveBundleSchema)

/** Saves an answer for .ci/run, which checks every saved answer against Threat Response's published schema. */
export function saveAnswer (route: 'observe' | 'deliberate' | 'refer' | 'health', name: string, body: unknown): void {
  mkdirSync(path.join(answersDir, route), { recursive: true })
  writeFileSync(path.join(answersDir, route, `${name}.json`), JSON.stringify(body, null, 2))
}

/** An observe answer, checked against the project's own answer schema and saved for .ci/run. */
export function observeBody (t: Test, response: LightMyRequestResponse, name: string): any {
  t.equal(response.statusCode, 200, `${name}: HTTP 200`)
  const body = response.json()
  t.ok(Value.Check(ObserveAnswerSchema, body), `${name}: the answer matches the answer schema`)
  saveAnswer('observe', name, body)
  return body
}

/**
 * /health's answer for a working key (contract §6): `consumption` requests made today (UTC), under
 * `limit` when one is known, `reachedAt` once no request may leave.
 */
export function healthOk (consumption: number, { limit, reachedAt }: { limit?: number, reachedAt?: string } = {}, now = new Date()) {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()))
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1))
  return {
    data: {
      status: 'ok',
      quotas: {
        c1fapp_api: {
          description: 'C1fApp API requests of this key today (UTC)',
          values: {
            bucket_unit: 'day',
            ...(limit === undefined ? {} : { bucket_limit: limit }),
            current_bucket_consumption: consumption,
            current_bucket_start_time: start.toISOString(),
            current_bucket_end_time: end.toISOString(),
            current_bucket_limit_reached: reachedAt !== undefined,
            ...(reachedAt === undefined ? {} : { current_bucket_limit_reached_at: reachedAt })
          }
        }
      }
    }
  }
}

/** The error envelope Threat Response shows the analyst. */
export function fatal (code: string, message: string) {
  return { errors: [{ type: 'fatal', code, message }] }
}

export function authorizationFailed (reason: string) {
  return fatal('authorization error', `Authorization failed: ${reason}`)
}
