// The relay's configuration (contract §4): the environment, read once, validated against one
// TypeBox schema. A bad value stops start-up with a message naming the variable and the rule;
// values themselves are never echoed (SECRET_KEY must not reach a log).
import { isIP } from 'node:net'
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { DEFAULT_ENTITIES_LIMIT, entitiesLimit, MAX_ENTITIES_LIMIT } from './entities-limit.js'
import { MAX_DAILY_LIMIT } from './quota.js'
import { DEFAULT_SIGHTINGS, SIGHTINGS_MODES } from './sightings-mode.js'
import { isLoopbackHost } from './authorization.js'

export const DEFAULT_JWKS_HOSTS = 'visibility.amp.cisco.com,visibility.eu.amp.cisco.com,visibility.apjc.amp.cisco.com'
export const DEFAULT_C1FAPP_API_URL = 'https://www.c1fapp.com/cifapp/api/'

const HTTP_URL = '^https?://[^\\s/?#]+[^\\s]*$'
/** a host name or IPv4 address, or a bracketed IPv6 address, with an optional port */
const JWKS_HOST = '(?:[A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\])(?::\\d{1,5})?'

export const EnvironmentSchema = Type.Object({
  SECRET_KEY: Type.Optional(Type.String({ minLength: 32, description: 'the HS256 secret the JWTs are signed with, at least 32 characters' })),
  SECRET_KEY_PARAMETER: Type.Optional(Type.String({ pattern: '^/[A-Za-z0-9_.\\-/]+$', description: 'AWS Lambda only: the name of the SSM Parameter Store SecureString that holds SECRET_KEY, read at cold start through the Parameters and Secrets Lambda Extension (a name that begins with /)' })),
  CACHE_REDIS_URL_PARAMETER: Type.Optional(Type.String({ pattern: '^/[A-Za-z0-9_.\\-/]+$', description: 'AWS Lambda only: the name of the SSM Parameter Store SecureString that holds CACHE_REDIS_URL, read at cold start as SECRET_KEY_PARAMETER is (a name that begins with /)' })),
  CACHE_REDIS_SECRET_PARAMETER: Type.Optional(Type.String({ pattern: '^/[A-Za-z0-9_.\\-/]+$', description: 'AWS Lambda only: the name of the SSM Parameter Store SecureString that holds CACHE_REDIS_SECRET, read at cold start as SECRET_KEY_PARAMETER is (a name that begins with /)' })),
  RELAY_PUBLIC_URL: Type.Optional(Type.String({ pattern: HTTP_URL, description: "the relay's public http(s) URL, the RS256 tokens' audience" })),
  JWKS_HOSTS: Type.String({ pattern: `^${JWKS_HOST}(,${JWKS_HOST})*$`, default: DEFAULT_JWKS_HOSTS, description: 'comma-separated host names (with an optional :port) whose JWKS may be fetched' }),
  JWKS_ALLOW_HTTP: Type.Boolean({ default: false, description: '1 to fetch the JWKS over plain http from loopback hosts (tests, local trials)' }),
  JWKS_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60000, default: 5000, description: 'how long fetching a JWKS may take, in milliseconds (100–60000)' }),
  JWKS_CACHE_TTL_MS: Type.Integer({ minimum: 1000, maximum: 86400000, default: 600000, description: 'how long a fetched JWKS key is kept, in milliseconds (1000–86400000)' }),
  C1FAPP_API_URL: Type.String({ pattern: HTTP_URL, default: DEFAULT_C1FAPP_API_URL, description: 'the C1fApp API endpoint, an https:// URL (http:// only for a loopback host: the key travels in the body)' }),
  C1FAPP_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60000, default: 10000, description: 'how long one C1fApp request may take, in milliseconds (100–60000)' }),
  C1FAPP_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 64, default: 10, description: 'C1fApp requests in flight at once for one call (1–64)' }),
  C1FAPP_MAX_SOCKETS: Type.Integer({ minimum: 1, maximum: 1024, default: 64, description: 'keep-alive connections to C1fApp shared by all calls (1–1024)' }),
  C1FAPP_RETRIES: Type.Integer({ minimum: 0, maximum: 5, default: 2, description: 'retries of a C1fApp request after a connection error or a 5xx (0–5)' }),
  C1FAPP_DEADLINE_MS: Type.Integer({ minimum: 500, maximum: 120000, default: 20000, description: 'how long all C1fApp requests of one call may take together, retries included, in milliseconds (500–120000)' }),
  C1FAPP_MAX_ANSWER_BYTES: Type.Integer({ minimum: 1024, maximum: 268435456, default: 16777216, description: 'bytes of one C1fApp answer the relay reads at most (1024–268435456)' }),
  C1FAPP_CALL_MAX_BYTES: Type.Integer({ minimum: 1024, maximum: 4294967296, default: 33554432, description: 'bytes of C1fApp answers one call reads at most, all together, at least C1FAPP_MAX_ANSWER_BYTES (1024–4294967296)' }),
  C1FAPP_BREAKER_FAILURES: Type.Integer({ minimum: 0, maximum: 100, default: 5, description: 'consecutive 5xx or connection failures of one key that pause its C1fApp requests (0 turns it off, at most 100)' }),
  C1FAPP_BREAKER_COOLDOWN_S: Type.Integer({ minimum: 1, maximum: 3600, default: 30, description: 'seconds a key pauses its C1fApp requests after those failures (1–3600)' }),
  C1FAPP_DAILY_LIMIT: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_DAILY_LIMIT, description: `requests a day each C1fApp key may make, unless its token's C1FAPP_DAILY_LIMIT claim says otherwise (1–${MAX_DAILY_LIMIT}; unset: counted, not enforced)` })),
  C1FAPP_QUOTA_BACKOFF_S: Type.Integer({ minimum: 1, maximum: 86400, default: 900, description: 'seconds a key makes no C1fApp request after C1fApp refused it with HTTP 429 and no usable Retry-After (1–86400)' }),
  HEALTH_TRUST_S: Type.Integer({ minimum: 0, maximum: 86400, default: 600, description: 'seconds a key that C1fApp answered is reported healthy by /health without asking C1fApp again (0 asks every time, at most 86400)' }),
  CACHE_TTL_S: Type.Integer({ minimum: 0, maximum: 86400, default: 600, description: 'seconds a C1fApp answer is reused for the same key and value (0 turns the cache off, at most 86400)' }),
  CACHE_MAX_MB: Type.Integer({ minimum: 1, maximum: 4096, default: 64, description: 'megabytes the in-process cache holds at most (1–4096); an answer counts three times its size: the records read from it and the sightings written from them are kept instead of its text' }),
  CACHE_REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://[^\\s/?#]+[^\\s]*$', description: 'a redis:// or rediss:// URL (user and password in it) of the Redis or Valkey that replicas share as their cache' })),
  CACHE_REDIS_SECRET: Type.Optional(Type.String({ minLength: 32, description: 'the secret, at least 32 characters, that signs the shared cache\'s entries (HMAC-SHA256) when SECRET_KEY is not set; every relay sharing the Redis holds the same' })),
  CACHE_REDIS_TIMEOUT_MS: Type.Integer({ minimum: 10, maximum: 10000, default: 250, description: 'how long one Redis command may take before the relay asks C1fApp without the cache, in milliseconds (10–10000)' }),
  METRICS_PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'the TCP port, other than PORT, of the second listener, which serves only GET /metrics (0–65535; unset: no metrics listener)' })),
  METRICS_HOST: Type.Optional(Type.String({ pattern: '^\\S+$', description: 'the address the metrics listener listens on (unset: HOST)' })),
  MAX_OBSERVABLES: Type.Integer({ minimum: 1, maximum: 10000, default: 500, description: 'distinct domain, ip and url observables looked up in one call, the others left out with a warning (1–10000)' }),
  MAX_VALUE_LENGTH: Type.Integer({ minimum: 16, maximum: 65536, default: 4096, description: 'characters of a looked-up value, longer ones skipped with a warning (16–65536)' }),
  MAX_BODY_BYTES: Type.Integer({ minimum: 1024, maximum: 67108864, default: 1048576, description: 'bytes of one request body (1024–67108864)' }),
  JUDGEMENT_VALID_DAYS: Type.Integer({ minimum: 1, maximum: 365, default: 7, description: 'days a judgement and its verdict stay valid from the call (1–365)' }),
  C1FAPP_SIGHTINGS: Type.Union(SIGHTINGS_MODES.map(mode => Type.Literal(mode)), { default: DEFAULT_SIGHTINGS, description: "each (a sighting per C1fApp record) or per-feed (a sighting per feed of each observable), unless the token's C1FAPP_SIGHTINGS claim says otherwise" }),
  ANSWER_MAX_BYTES: Type.Integer({ minimum: 10000, maximum: 268435456, default: 5000000, description: 'bytes of one observe answer at most; past it each observable keeps fewer sightings (10000–268435456)' }),
  MAX_EVENT_LOOP_DELAY_MS: Type.Integer({ minimum: 0, maximum: 60000, default: 1000, description: 'the event-loop delay over which relay calls are refused as overloaded, in milliseconds (0 turns the check off; up to 60000)' }),
  MAX_HEAP_USED_BYTES: Type.Optional(Type.Integer({ minimum: 0, description: 'the V8 heap use over which relay calls are refused as overloaded, in bytes (0 turns the check off; unset: 90% of the V8 heap limit)' })),
  MAX_RSS_BYTES: Type.Integer({ minimum: 0, default: 0, description: 'the resident memory over which relay calls are refused as overloaded, in bytes (0 turns the check off)' }),
  REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 300000, default: 10000, description: 'how long a client may take to send a whole request (headers and body), in milliseconds, before it is cut off with 408 (1000–300000)' }),
  CONNECTION_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 600000, default: 60000, description: 'how long a connection may stay silent (no byte either way) before it is closed, in milliseconds (1000–600000; longer than C1FAPP_DEADLINE_MS, since a call waiting on C1fApp is silent)' }),
  SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 0, maximum: 600000, default: 25000, description: 'how long in-flight calls may take to finish after SIGTERM or SIGINT before the process exits anyway, in milliseconds (0–600000)' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'the TCP port the server listens on (0–65535)' }),
  HOST: Type.String({ pattern: '^\\S+$', default: '127.0.0.1', description: 'the address the server listens on' }),
  TRUST_PROXY: Type.String({
    default: 'false',
    description: 'false (trust no proxy), true (trust every proxy) or the comma-separated addresses or CIDR ranges ' +
      'of the reverse proxies whose X-Forwarded-For may be trusted (loopback, linklocal and uniquelocal name their ranges)'
  }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map(level => Type.Literal(level)), { default: 'info', description: 'the pino log level: fatal, error, warn, info, debug, trace or silent' })
})

type Environment = Static<typeof EnvironmentSchema>

export interface RelayConfig extends Omit<Environment, 'JWKS_HOSTS' | 'TRUST_PROXY'> {
  JWKS_HOSTS: string[]
  /** Fastify's trustProxy */
  TRUST_PROXY: TrustProxy
  CTR_ENTITIES_LIMIT: number
  /** on AWS Lambda (its runtime sets AWS_LAMBDA_FUNCTION_NAME): no second listener there */
  ON_LAMBDA: boolean
}

export class ConfigError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

export interface ConfigReading {
  config: RelayConfig
  /** not fatal, to be logged once the logger exists */
  warnings: string[]
  /**
   * the clock (ms since the epoch) that tells the daily quota's days and the in-process cache's
   * entry ages: Date.now unless a test brings its own, so that a day's end or an entry's expiry is
   * tested without waiting for it
   */
  clock?: () => number
}

/** As the original documented: an unset or unusable value means 100, more than 1000 means 1000. */
function readEntitiesLimit (raw: string | undefined, warnings: string[]): number {
  if (raw === undefined) return DEFAULT_ENTITIES_LIMIT
  const reading = entitiesLimit(raw)
  if (reading === undefined) {
    warnings.push(`CTR_ENTITIES_LIMIT must be a positive integer; using the default ${DEFAULT_ENTITIES_LIMIT}`)
    return DEFAULT_ENTITIES_LIMIT
  }
  if (reading.capped) warnings.push(`CTR_ENTITIES_LIMIT is at most ${MAX_ENTITIES_LIMIT}; using ${MAX_ENTITIES_LIMIT}`)
  return reading.limit
}

/** Fastify's `trustProxy`: nobody, everybody, or the proxies' addresses and ranges. */
export type TrustProxy = boolean | string[]

// @fastify/proxy-addr's names for the private ranges
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal'])

function isProxyAddress (entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true
  const [address, prefix, ...rest] = entry.split('/')
  const version = isIP(address)
  // Zone ids (fe80::1%eth0) are valid addresses to node:net but not to proxy-addr.
  if (version === 0 || address.includes('%') || rest.length > 0) return false
  if (prefix === undefined) return true
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : 0
  return bits >= 1 && bits <= (version === 4 ? 32 : 128)
}

/**
 * TRUST_PROXY as Fastify takes it, or undefined when unusable. No hop count: Fastify 5 ignores
 * hop-count-only trust, since it lets a client that reaches the relay directly spoof its address.
 */
export function readTrustProxy (raw: string): TrustProxy | undefined {
  const value = raw.trim().toLowerCase()
  if (value === 'false') return false
  if (value === 'true') return true
  const entries = value.split(',').map(entry => entry.trim())
  return entries.every(isProxyAddress) ? entries : undefined
}

/** The C1fApp key travels in the request's body: https, or http only to a loopback host (the simulator, tests). */
function isSafeC1fAppUrl (raw: string): boolean {
  if (!URL.canParse(raw)) return false
  const url = new URL(raw)
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.host))
}

export function readConfig (env: Record<string, string | undefined>): ConfigReading {
  const warnings: string[] = []
  // An empty variable is an unset one: deployment tools often write VAR= for "not set".
  const given: Record<string, string> = {}
  for (const name of Object.keys(EnvironmentSchema.properties)) {
    const value = env[name]
    if (value !== undefined && value !== '') given[name] = value
  }
  const values = Value.Convert(EnvironmentSchema, Value.Default(EnvironmentSchema, given))
  const environment = values as Environment
  const problems = new Map<string, string>()
  const invalid = (name: string): void => {
    const rule = (EnvironmentSchema.properties as Record<string, TSchema>)[name].description
    if (!problems.has(name)) problems.set(name, `${name} is invalid: it must be ${rule}`)
  }
  // Convert would quietly cut "2500.7" to 2500: a whole number must be written as one.
  for (const [name, schema] of Object.entries(EnvironmentSchema.properties as Record<string, TSchema>)) {
    const raw = env[name]
    if (schema.type === 'integer' && raw !== undefined && raw !== '' && !/^\s*-?\d+\s*$/.test(raw)) invalid(name)
  }
  for (const error of Value.Errors(EnvironmentSchema, values)) invalid(error.path.slice(1))
  const trustProxy = readTrustProxy(environment.TRUST_PROXY)
  if (trustProxy === undefined) invalid('TRUST_PROXY')
  if (environment.CACHE_REDIS_URL !== undefined && !URL.canParse(environment.CACHE_REDIS_URL)) invalid('CACHE_REDIS_URL')
  if (!problems.has('C1FAPP_API_URL') && !isSafeC1fAppUrl(environment.C1FAPP_API_URL)) invalid('C1FAPP_API_URL')
  // Threat Response reaches the relay's port: the metrics must never be served there.
  if (environment.METRICS_PORT !== undefined && environment.METRICS_PORT !== 0 && environment.METRICS_PORT === environment.PORT) invalid('METRICS_PORT')
  if (problems.size > 0) {
    const order = Object.keys(EnvironmentSchema.properties)
    const named = [...problems.entries()].sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
    throw new ConfigError(`Invalid configuration: ${named.map(([, problem]) => problem).join('; ')}`)
  }

  if (environment.CONNECTION_TIMEOUT_MS <= environment.C1FAPP_DEADLINE_MS) {
    throw new ConfigError('Invalid configuration: CONNECTION_TIMEOUT_MS must be longer than C1FAPP_DEADLINE_MS (a call waiting on C1fApp sends nothing meanwhile)')
  }
  if (environment.C1FAPP_CALL_MAX_BYTES < environment.C1FAPP_MAX_ANSWER_BYTES) {
    throw new ConfigError('Invalid configuration: C1FAPP_CALL_MAX_BYTES must be at least C1FAPP_MAX_ANSWER_BYTES (a call must be able to read the largest answer it accepts)')
  }
  if (environment.SECRET_KEY === undefined && environment.RELAY_PUBLIC_URL === undefined) {
    throw new ConfigError('Invalid configuration: set SECRET_KEY (the HS256 secret the JWTs are signed with, at least 32 characters) ' +
      "or RELAY_PUBLIC_URL (the relay's public URL, for Threat Response's RS256 configuration tokens); neither is set")
  }
  if (environment.CACHE_REDIS_URL !== undefined && environment.SECRET_KEY === undefined && environment.CACHE_REDIS_SECRET === undefined) {
    throw new ConfigError('Invalid configuration: CACHE_REDIS_URL needs CACHE_REDIS_SECRET (at least 32 characters, the same in every relay sharing the Redis), ' +
      'which signs the cache entries so that nobody who can write to the Redis can forge an answer; SECRET_KEY signs them when it is set, and neither is')
  }
  if (environment.CACHE_REDIS_SECRET !== undefined && environment.SECRET_KEY !== undefined) {
    warnings.push('CACHE_REDIS_SECRET is not used: SECRET_KEY is set, and signs the shared cache\'s entries')
  }
  const config: RelayConfig = {
    ...environment,
    JWKS_HOSTS: environment.JWKS_HOSTS.split(',').map(host => host.toLowerCase()),
    TRUST_PROXY: trustProxy as TrustProxy,
    CTR_ENTITIES_LIMIT: readEntitiesLimit(env.CTR_ENTITIES_LIMIT === '' ? undefined : env.CTR_ENTITIES_LIMIT, warnings),
    ON_LAMBDA: env.AWS_LAMBDA_FUNCTION_NAME !== undefined
  }
  return { config, warnings }
}
