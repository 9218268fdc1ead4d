// What the property-based tests share: a fixed seed and bounded runs, so `npm test` is quick and
// repeatable (FUZZ_FACTOR multiplies every property's runs and FUZZ_SEED changes the seed:
// `.ci/run` sets 1, the full depth, and `npm run fuzz` 20), the arbitraries of hostile text, and
// the checks every answer must pass.
import { isDeepStrictEqual } from 'node:util'
import { Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import fc from 'fast-check'
import type { LightMyRequestResponse } from 'fastify'
import { Envelope } from '../../lib/schemas/envelope.js'
import type { ErrorCode } from '../../lib/relay-error.js'
import { API_PATH, type SimulatorRequest } from '../../simulator/server.js'

const SEED = Number(process.env.FUZZ_SEED ?? 20261128)
/**
 * Without FUZZ_FACTOR (a developer's `npm test`), a fifth of the runs: the properties still run
 * every arbitrary, and the full depth is CI's (`.ci/run`), which keeps `npm test` under two minutes
 * on a two-core machine.
 */
const FACTOR = Number(process.env.FUZZ_FACTOR ?? 0.2)

/** fast-check's parameters: `runs` runs at the full depth (FUZZ_FACTOR=1), FUZZ_FACTOR times as many when set, a fifth without it. */
export function fuzzParameters (runs: number): fc.Parameters<unknown> {
  return { seed: SEED, numRuns: Math.max(1, Math.round(runs * FACTOR)), endOnFailure: true }
}

export const ERROR_CODES: ErrorCode[] = [
  'invalid argument', 'authorization error', 'unauthorized', 'forbidden', 'not found',
  'too many requests', 'unknown', 'connection error', 'key error', 'health check failed', 'too many entities'
]

/** Text an attacker or a broken peer could send: any code point, lone surrogates, controls, combining marks. */
export function hostileString (constraints: { minLength?: number, maxLength?: number } = {}): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'binary', ...constraints }),
    fc.string({ unit: 'grapheme', ...constraints }),
    fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map(code => String.fromCharCode(code)), ...constraints }),
    fc.string({ unit: fc.constantFrom('\u0000', '\ud800', '\udfff', '\u202e', '\u0301', '\ufeff', '"', '\\', '%', ',', '.', '/', ' '), ...constraints })
  )
}

const AnyEnvelope = Envelope(Type.Unknown())

/**
 * Every answer of a relay route: HTTP 200, JSON, Threat Response's envelope with data or errors,
 * each error with a contract code. Returns the body.
 */
export function checkEnvelope (response: LightMyRequestResponse): { data?: unknown, errors?: Array<{ type: string, code: string, message: string }> } {
  if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${response.body}`)
  const body = response.json()
  if (!Value.Check(AnyEnvelope, body)) throw new Error(`not an envelope: ${response.body}`)
  if (body.data === undefined && (body.errors === undefined || body.errors.length === 0)) throw new Error(`neither data nor errors: ${response.body}`)
  for (const error of body.errors ?? []) {
    if (!(ERROR_CODES as string[]).includes(error.code)) throw new Error(`unknown error code: ${response.body}`)
    if (error.message.trim() === '') throw new Error(`empty error message: ${response.body}`)
  }
  return body
}

/**
 * The requests C1fApp received, each checked against contract §2's exact shape: POST to the API
 * path, JSON content type, exactly `{key, format: 'json', backend: 'es', request}`. Returns the
 * values asked for.
 */
export function checkUpstream (requests: SimulatorRequest[], key: string): string[] {
  return requests.map(request => {
    if (request.method !== 'POST' || request.url !== API_PATH) throw new Error(`${request.method} ${request.url}`)
    if (!/^application\/json/.test(String(request.headers['content-type']))) throw new Error(`content-type ${request.headers['content-type']}`)
    const body = JSON.parse(request.body)
    const { request: value, ...rest } = body
    if (typeof value !== 'string') throw new Error(`request is not a string: ${request.body}`)
    if (!isDeepStrictEqual(rest, { key, format: 'json', backend: 'es' })) {
      throw new Error(`not the contract's shape: ${request.body}`)
    }
    return value
  })
}
