// Property-based tests of Threat Response's side: whatever a client sends (bodies, observable
// values, content types, Authorization headers, tokens), the relay answers HTTP 200 with a
// well-formed envelope, never 5xx, never throws, and C1fApp receives only contract-shaped requests
// for the supported observables of a valid body. Fixed seed, bounded runs (test/fuzz/fuzz.ts).
import t from 'tap'
import { Value } from '@sinclair/typebox/value'
import fc from 'fast-check'
import { createSigner } from 'fast-jwt'
import { Envelope } from '../../lib/schemas/envelope.js'
import { ObserveBundleSchema } from '../../lib/schemas/ctim.js'
import { SUPPORTED_TYPES } from '../../lib/observables.js'
import { VERSION } from '../../lib/version.js'
import { DEMO_OBSERVABLES } from '../../simulator/dataset.js'
import { checkEnvelope, checkUpstream, fuzzParameters, hostileString } from './fuzz.js'
import { bearer, buildRelay, C1FAPP_KEY, post, SECRET_KEY, token } from '../helper.js'

// Small enough limits that the properties cross them often. Load shedding on event-loop delay
// is off: generating megabyte inputs blocks this process, and shedding has its own tests.
const MAX_OBSERVABLES = 8
const MAX_VALUE_LENGTH = 64
const UNSHED = { MAX_EVENT_LOOP_DELAY_MS: '0' }
const LIMITS = { ...UNSHED, MAX_OBSERVABLES: String(MAX_OBSERVABLES), MAX_VALUE_LENGTH: String(MAX_VALUE_LENGTH) }

const ObserveAnswer = Envelope(ObserveBundleSchema)
const OBSERVABLES_ROUTES = ['/observe/observables', '/deliberate/observables', '/refer/observables', '/respond/observables']
const ROUTES = [...OBSERVABLES_ROUTES, '/health', '/respond/trigger', '/version']

interface Item { type: string, value: string }

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Contract §1.1, written out independently of the route schema. */
function validObservables (body: unknown): body is Item[] {
  return Array.isArray(body) && body.every(item =>
    isObject(item) && typeof item.type === 'string' && item.type !== '' && typeof item.value === 'string' && item.value !== '')
}

/** What §1.1's limits let through of a valid body: the values looked up, and what is left out. */
function withinLimits (body: Item[]): { values: Set<string>, tooLong: boolean, leftOut: boolean } {
  const distinct = [...new Map(body.filter(({ type }) => (SUPPORTED_TYPES as readonly string[]).includes(type))
    .map(item => [JSON.stringify([item.type, item.value]), item])).values()]
  const short = distinct.filter(({ value }) => [...value].length <= MAX_VALUE_LENGTH)
  return {
    values: new Set(short.slice(0, MAX_OBSERVABLES).map(({ value }) => value)),
    tooLong: short.length < distinct.length,
    leftOut: short.length > MAX_OBSERVABLES
  }
}

function parse (text: string): { json: true, value: unknown } | { json: false } {
  try {
    return { json: true, value: JSON.parse(text) }
  } catch {
    return { json: false }
  }
}

/** `length` code points of `chunk` over and over: values at, just under and just over a limit. */
function repeated (chunk: string, length: number): string {
  const points = [...chunk]
  return Array.from({ length }, (_, i) => points[i % points.length]).join('')
}

// Each part is mostly well formed, so that whole bodies are often valid and looked up.
const value = fc.oneof(
  { weight: 12, arbitrary: hostileString({ minLength: 1, maxLength: 24 }) },
  { weight: 6, arbitrary: fc.constantFrom(...DEMO_OBSERVABLES.map(({ value }) => value), 'test.com', '192.0.2.1', 'https://x.example/?q=1') },
  { weight: 2, arbitrary: fc.tuple(hostileString({ minLength: 1, maxLength: 6 }), fc.integer({ min: MAX_VALUE_LENGTH - 2, max: MAX_VALUE_LENGTH + 2 })).map(([chunk, length]) => repeated(chunk, length)) },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }
)
const type = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...SUPPORTED_TYPES) },
  { weight: 3, arbitrary: fc.constantFrom('sha256', 'email', 'Domain', 'IP', 'url ', '') },
  { weight: 3, arbitrary: hostileString({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) }
)
const item = fc.oneof(
  { weight: 20, arbitrary: fc.record({ type, value }) },
  { weight: 1, arbitrary: fc.record({ type, value }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.record({ type, value, extra: fc.jsonValue({ maxDepth: 1 }) }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }
)
const observables = fc.oneof(fc.array(item, { maxLength: 3 }), fc.array(item, { maxLength: MAX_OBSERVABLES + 2 }))

/** Body texts: mostly JSON near the expected shape, some arbitrary JSON, some not JSON at all. */
const bodyText = fc.oneof(
  { weight: 6, arbitrary: observables.map(body => JSON.stringify(body)) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 1, arbitrary: hostileString({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.tuple(observables.map(body => JSON.stringify(body)), fc.nat()).map(([text, cut]) => text.slice(0, cut % (text.length + 1))) }
)

const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream')

t.test('arbitrary bodies on every route: an envelope, and only well-formed lookups of the valid ones', async t => {
  const { app, simulator } = await buildRelay(t, LIMITS)
  const looked = new Set<string>()
  await fc.assert(fc.asyncProperty(fc.constantFrom(...ROUTES), bodyText, contentType, async (route, text, type) => {
    simulator.reset()
    const response = await app.inject({ method: 'POST', url: route, headers: { ...bearer(), 'content-type': type }, payload: text })
    if (route === '/version') {
      const answer = response.json()
      if (parse(text).json || text.trim() === '') t.strictSame(answer, { version: VERSION })
      else t.match(answer, { errors: [{ type: 'fatal', code: 'invalid argument', message: /^Invalid JSON payload received\. The body is not JSON: / }] })
      return
    }
    const body = checkEnvelope(response)
    const asked = checkUpstream(simulator.requests, C1FAPP_KEY)
    const parsed = text.trim() === '' ? { json: true as const, value: undefined } : parse(text)
    const invalid = body.errors?.find(error => error.code === 'invalid argument' && error.type === 'fatal')

    if (!parsed.json) {
      t.strictSame(body.errors, [invalid], 'not JSON: one invalid argument')
      t.match(invalid?.message, /^Invalid JSON payload received\. The body is not JSON: /)
    }
    if (!OBSERVABLES_ROUTES.includes(route)) {
      if (parsed.json) t.same(asked.filter(value => value !== 'test.com'), [], `${route} asks C1fApp nothing of the body`)
      return
    }
    if (!parsed.json || !validObservables(parsed.value)) {
      t.strictSame(body, { errors: [invalid] }, 'an invalid body: one invalid argument, nothing else')
      t.match(invalid?.message, /^Invalid JSON payload received\. /)
      t.strictSame(asked, [], 'an invalid body asks C1fApp nothing')
      return
    }
    t.equal(invalid, undefined, 'a valid body is accepted')
    t.ok(body.errors?.every(error => !error.message.startsWith('Invalid JSON payload received')) ?? true, 'no error of a valid body says it is invalid')
    const { values: supported, tooLong, leftOut } = withinLimits(parsed.value)
    const warned = (limit: string) => body.errors?.some(error => error.type === 'warning' && error.message.includes(`(${limit}, a setting of the module's owner)`)) ?? false
    if (route === '/observe/observables' || route === '/deliberate/observables') {
      t.equal(warned('MAX_VALUE_LENGTH'), tooLong, 'a warning when a looked-up value is too long')
      t.equal(warned('MAX_OBSERVABLES'), leftOut, 'a warning when observables are left out')
    }
    t.ok(asked.every(value => supported.has(value)), 'only the values of supported observables within the limits are looked up')
    t.equal(new Set(asked).size, asked.length, 'each value once')
    if (route === '/observe/observables') {
      t.ok(Value.Check(ObserveAnswer, body), 'the observe answer matches its schema')
      // a value never seen before is looked up (one seen before may come from a cache)
      for (const value of supported) if (!looked.has(value)) t.ok(asked.includes(value), `${JSON.stringify(value)} looked up`)
      for (const value of asked) looked.add(value)
    }
  }), fuzzParameters(300))
})

t.test('megabyte values and bodies: skipped or refused with the limit named', async t => {
  const { app, simulator } = await buildRelay(t, UNSHED)
  const huge = fc.tuple(hostileString({ minLength: 1, maxLength: 16 }), fc.integer({ min: 300_000, max: 1_500_000 }), fc.nat({ max: 3 }))
  await fc.assert(fc.asyncProperty(huge, async ([chunk, length, count]) => {
    simulator.reset()
    const big = chunk.repeat(Math.ceil(length / chunk.length))
    const body = [{ type: 'domain', value: 'phish.example' }, ...Array.from({ length: count }, () => ({ type: 'domain', value: big }))]
    const response = await post(app, '/observe/observables', body)
    const answer = checkEnvelope(response)
    if (count === 0) return
    t.equal(answer.errors?.length, 1)
    if (answer.errors?.[0].type === 'fatal') {
      t.match(answer.errors[0], { code: 'invalid argument', message: /^The request body is larger than the limit of \d+ bytes \(MAX_BODY_BYTES, a setting of the module's owner\)\.$/ })
      t.equal(simulator.requests.length, 0)
    } else {
      t.match(answer.errors?.[0], { type: 'warning', code: 'invalid argument', message: /\(MAX_VALUE_LENGTH, a setting of the module's owner\): domain ".*…" \(\d+ characters\)\.$/ })
      t.strictSame(simulator.requests.map(request => JSON.parse(request.body).request), ['phish.example'], 'the value within the limit is looked up')
    }
  }), fuzzParameters(12))
})

const headerText = fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map(code => String.fromCharCode(code)), maxLength: 80 })
const base64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
const RESERVED = new Set(['exp', 'nbf', 'iat', 'aud', 'iss', 'sub', 'jti', 'key'])
const claims = fc.dictionary(fc.string({ maxLength: 8 }).filter(name => !RESERVED.has(name)), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 })
const keyClaim = fc.oneof(fc.constant(C1FAPP_KEY), hostileString({ maxLength: 24 }), fc.jsonValue({ maxDepth: 1 }))

interface Credentials { header?: string, key?: unknown }

/** Authorization headers, from noise to tokens signed right; `key` is set when the token is good. */
const credentials: fc.Arbitrary<Credentials> = fc.oneof(
  fc.constant({}),
  headerText.map(header => ({ header })),
  fc.tuple(fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'Token', ''), headerText).map(([scheme, rest]) => ({ header: `${scheme} ${rest}` })),
  fc.tuple(fc.jsonValue({ maxDepth: 1 }), fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 43 }))
    .map(([head, payload, signature]) => ({ header: `Bearer ${base64url(head)}.${base64url(payload)}.${base64url(signature)}` })),
  fc.tuple(fc.constantFrom('HS256', 'HS384', 'HS512', 'none'), fc.boolean(), keyClaim, claims).map(([algorithm, rightSecret, key, extra]) => {
    const payload = { ...extra, key }
    const secret = rightSecret ? SECRET_KEY : 'a-wrong-secret-that-is-long-enough-000000'
    const jwt = algorithm === 'none'
      ? createSigner({ algorithm: 'none' })(payload)
      : createSigner({ key: secret, algorithm: algorithm as 'HS256' })(payload)
    const good = algorithm === 'HS256' && rightSecret && typeof key === 'string' && key !== ''
    return { header: `Bearer ${jwt}`, ...(good ? { key } : {}) }
  }),
  fc.tuple(keyClaim, claims).map(([key, extra]) => ({ header: `Bearer ${token({ ...extra, key })}`, ...(typeof key === 'string' && key !== '' ? { key } : {}) }))
)

const REASONS = [
  'Authorization header is missing', 'Wrong authorization type', 'Wrong JWT structure',
  'Failed to decode JWT with provided key', 'Wrong JWT payload structure'
].map(reason => `Authorization failed: ${reason}`)

t.test('arbitrary Authorization headers and tokens: one of the five reasons, or the call with the token\'s own key', async t => {
  const { app, simulator } = await buildRelay(t, UNSHED)
  await fc.assert(fc.asyncProperty(credentials, fc.constantFrom('/health', '/observe/observables'), async ({ header, key }, route) => {
    simulator.reset()
    const response = await post(app, route, [DEMO_OBSERVABLES[0]], header === undefined ? {} : { authorization: header })
    const body = checkEnvelope(response)
    const authorization = body.errors?.find(error => error.code === 'authorization error')
    if (key === undefined) {
      t.strictSame(body, { errors: [authorization] }, 'a bad token: one authorization error')
      t.ok(REASONS.includes(authorization?.message as string), String(authorization?.message))
      t.equal(simulator.requests.length, 0, 'and C1fApp is not asked')
      return
    }
    t.equal(authorization, undefined, 'a good token is accepted')
    t.ok(checkUpstream(simulator.requests, key as string).length > 0, "C1fApp is asked with the token's key")
    if (key !== C1FAPP_KEY) t.match(body.errors, [{ code: 'forbidden' }], 'a key C1fApp does not know is forbidden')
  }), fuzzParameters(300))
})

t.test('arbitrary Health-Check headers are echoed by /watchdog', async t => {
  const { app } = await buildRelay(t, UNSHED)
  await fc.assert(fc.asyncProperty(headerText, async text => {
    const response = await app.inject({ method: 'GET', url: '/watchdog', headers: { 'health-check': text } })
    t.strictSame(checkEnvelope(response), { data: text })
  }), fuzzParameters(100))
})
