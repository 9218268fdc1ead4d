// Contract §4: the environment, validated once; bad configuration stops start-up and says why.
import t from 'tap'
import { Writable } from 'node:stream'
import type { TSchema } from '@sinclair/typebox'
import { ConfigError, DEFAULT_C1FAPP_API_URL, EnvironmentSchema, readConfig } from '../../lib/config.js'
import { buildApp, SECRET_KEY } from '../helper.js'

const secret = { SECRET_KEY }

t.test('on AWS Lambda: its runtime says so', async t => {
  t.equal(readConfig({ ...secret, AWS_LAMBDA_FUNCTION_NAME: 'relay' }).config.ON_LAMBDA, true)
})

t.test('defaults', async t => {
  const { config, warnings } = readConfig(secret)
  t.strictSame(warnings, [])
  t.strictSame(config, {
    SECRET_KEY,
    JWKS_HOSTS: ['visibility.amp.cisco.com', 'visibility.eu.amp.cisco.com', 'visibility.apjc.amp.cisco.com'],
    JWKS_ALLOW_HTTP: false,
    JWKS_TIMEOUT_MS: 5000,
    JWKS_CACHE_TTL_MS: 600000,
    C1FAPP_API_URL: DEFAULT_C1FAPP_API_URL,
    C1FAPP_TIMEOUT_MS: 10000,
    C1FAPP_CONCURRENCY: 10,
    C1FAPP_MAX_SOCKETS: 64,
    C1FAPP_RETRIES: 2,
    C1FAPP_DEADLINE_MS: 20000,
    C1FAPP_MAX_ANSWER_BYTES: 16777216,
    C1FAPP_CALL_MAX_BYTES: 33554432,
    C1FAPP_BREAKER_FAILURES: 5,
    C1FAPP_BREAKER_COOLDOWN_S: 30,
    C1FAPP_QUOTA_BACKOFF_S: 900,
    HEALTH_TRUST_S: 600,
    CACHE_TTL_S: 600,
    CACHE_MAX_MB: 64,
    CACHE_REDIS_TIMEOUT_MS: 250,
    MAX_OBSERVABLES: 500,
    MAX_VALUE_LENGTH: 4096,
    MAX_BODY_BYTES: 1048576,
    JUDGEMENT_VALID_DAYS: 7,
    C1FAPP_SIGHTINGS: 'each',
    ANSWER_MAX_BYTES: 5000000,
    MAX_EVENT_LOOP_DELAY_MS: 1000,
    MAX_RSS_BYTES: 0,
    REQUEST_TIMEOUT_MS: 10000,
    CONNECTION_TIMEOUT_MS: 60000,
    SHUTDOWN_GRACE_MS: 25000,
    PORT: 3000,
    HOST: '127.0.0.1',
    TRUST_PROXY: false,
    LOG_LEVEL: 'info',
    CTR_ENTITIES_LIMIT: 100,
    ON_LAMBDA: false
  })
  t.equal(DEFAULT_C1FAPP_API_URL, 'https://www.c1fapp.com/cifapp/api/')
})

t.test('values are read and converted; an empty variable is an unset one', async t => {
  const { config } = readConfig({
    ...secret,
    C1FAPP_API_URL: 'http://127.0.0.1:8080/cifapp/api/',
    C1FAPP_TIMEOUT_MS: '2500',
    PORT: '8080',
    HOST: '0.0.0.0',
    LOG_LEVEL: 'warn',
    JWKS_HOSTS: 'Visibility.AMP.cisco.com,127.0.0.1:9000,[::1]:8443,localhost',
    JWKS_ALLOW_HTTP: '1',
    JWKS_TIMEOUT_MS: '250',
    JWKS_CACHE_TTL_MS: '60000',
    CTR_ENTITIES_LIMIT: '250',
    MAX_OBSERVABLES: ''
  })
  t.match(config, {
    C1FAPP_API_URL: 'http://127.0.0.1:8080/cifapp/api/',
    C1FAPP_TIMEOUT_MS: 2500,
    PORT: 8080,
    HOST: '0.0.0.0',
    LOG_LEVEL: 'warn',
    JWKS_HOSTS: ['visibility.amp.cisco.com', '127.0.0.1:9000', '[::1]:8443', 'localhost'],
    JWKS_ALLOW_HTTP: true,
    JWKS_TIMEOUT_MS: 250,
    JWKS_CACHE_TTL_MS: 60000,
    CTR_ENTITIES_LIMIT: 250,
    MAX_OBSERVABLES: 500
  })
})

t.test('CTR_ENTITIES_LIMIT: unusable means 100, more than 1000 means 1000, each with a warning', async t => {
  const limit = (value: string) => readConfig({ ...secret, CTR_ENTITIES_LIMIT: value })
  for (const value of ['0', '-5', 'ten', '1.5', '']) {
    const { config, warnings } = limit(value)
    t.equal(config.CTR_ENTITIES_LIMIT, 100, JSON.stringify(value))
    t.strictSame(warnings, value === '' ? [] : ['CTR_ENTITIES_LIMIT must be a positive integer; using the default 100'])
  }
  t.strictSame(limit('1000'), { config: { ...limit('1000').config, CTR_ENTITIES_LIMIT: 1000 }, warnings: [] })
  t.strictSame(limit('5000').warnings, ['CTR_ENTITIES_LIMIT is at most 1000; using 1000'])
  t.equal(limit('5000').config.CTR_ENTITIES_LIMIT, 1000)
  t.equal(limit(' 7 ').config.CTR_ENTITIES_LIMIT, 7)
})

t.test('bad configuration names the variable and the rule, never the value', async t => {
  const fails = (env: Record<string, string>) => t.throws(() => readConfig(env), ConfigError)
  t.throws(() => readConfig({}), {
    name: 'ConfigError',
    message: 'Invalid configuration: set SECRET_KEY (the HS256 secret the JWTs are signed with, at least 32 characters) or ' +
      "RELAY_PUBLIC_URL (the relay's public URL, for Threat Response's RS256 configuration tokens); neither is set"
  })
  t.throws(() => readConfig({ SECRET_KEY: 'short-secret' }), {
    message: 'Invalid configuration: SECRET_KEY is invalid: it must be the HS256 secret the JWTs are signed with, at least 32 characters'
  })
  try {
    readConfig({ SECRET_KEY: 'short-secret' })
  } catch (error) {
    t.notMatch((error as Error).message, /short-secret/, 'the secret is not echoed')
  }
  t.throws(() => readConfig({ ...secret, PORT: 'eighty', LOG_LEVEL: 'loud', C1FAPP_API_URL: 'ftp://c1fapp.example/' }), {
    message: 'Invalid configuration: C1FAPP_API_URL is invalid: it must be the C1fApp API endpoint, an https:// URL (http:// only for a loopback host: the key travels in the body); ' +
      'PORT is invalid: it must be the TCP port the server listens on (0–65535); ' +
      'LOG_LEVEL is invalid: it must be the pino log level: fatal, error, warn, info, debug, trace or silent'
  })
  for (const [name, value] of [
    ['C1FAPP_TIMEOUT_MS', '50'], ['C1FAPP_TIMEOUT_MS', '1e9'], ['C1FAPP_CONCURRENCY', '0'], ['MAX_OBSERVABLES', '-1'],
    ['MAX_VALUE_LENGTH', '2'], ['MAX_BODY_BYTES', '10'], ['PORT', '70000'], ['JWKS_HOSTS', 'a.example, b.example'], ['JWKS_HOSTS', 'https://a.example'], ['JWKS_HOSTS', 'a.example/jwks'],
    ['JWKS_HOSTS', 'a.example:port'], ['JWKS_TIMEOUT_MS', '10'], ['JWKS_CACHE_TTL_MS', '0'],
    ['JUDGEMENT_VALID_DAYS', '0'], ['JUDGEMENT_VALID_DAYS', '366'], ['JUDGEMENT_VALID_DAYS', '1.5'], ['ANSWER_MAX_BYTES', '9999'], ['ANSWER_MAX_BYTES', '5e6'],
    ['JWKS_ALLOW_HTTP', 'maybe'], ['C1FAPP_TIMEOUT_MS', '2500.7'], ['PORT', '80.0'], ['CACHE_TTL_S', '1e3'], ['RELAY_PUBLIC_URL', 'relay.example'], ['C1FAPP_API_URL', 'not a url'], ['HOST', ' ']
  ]) {
    const error = fails({ ...secret, [name]: value })
    t.ok(error, `${name}=${value}`)
  }
  t.throws(() => readConfig({ ...secret, JUDGEMENT_VALID_DAYS: '0' }), { message: 'Invalid configuration: JUDGEMENT_VALID_DAYS is invalid: it must be days a judgement and its verdict stay valid from the call (1–365)' })
  t.throws(() => readConfig({ ...secret, ANSWER_MAX_BYTES: '100' }), { message: 'Invalid configuration: ANSWER_MAX_BYTES is invalid: it must be bytes of one observe answer at most; past it each observable keeps fewer sightings (10000–268435456)' })
  t.match(readConfig({ ...secret, JUDGEMENT_VALID_DAYS: '30', ANSWER_MAX_BYTES: '6000000' }).config, { JUDGEMENT_VALID_DAYS: 30, ANSWER_MAX_BYTES: 6000000 })
  t.equal(readConfig({ ...secret, C1FAPP_SIGHTINGS: 'per-feed' }).config.C1FAPP_SIGHTINGS, 'per-feed')
  for (const value of ['PER-FEED', 'feed', 'all']) {
    t.throws(() => readConfig({ ...secret, C1FAPP_SIGHTINGS: value }), {
      message: "Invalid configuration: C1FAPP_SIGHTINGS is invalid: it must be each (a sighting per C1fApp record) or per-feed (a sighting per feed of each observable), unless the token's C1FAPP_SIGHTINGS claim says otherwise"
    }, `C1FAPP_SIGHTINGS=${value}`)
  }
  t.throws(() => readConfig({ ...secret, C1FAPP_CONCURRENCY: '0' }), { message: /^Invalid configuration: C1FAPP_CONCURRENCY is invalid: it must be C1fApp requests in flight at once for one call \(1–64\)$/ })
})

// Settings another one must stay in step with, to try one at its edge alone.
const COMPANIONS: Record<string, Record<string, string>> = {
  C1FAPP_DEADLINE_MS: { CONNECTION_TIMEOUT_MS: '600000' },
  CONNECTION_TIMEOUT_MS: { C1FAPP_DEADLINE_MS: '500' },
  C1FAPP_MAX_ANSWER_BYTES: { C1FAPP_CALL_MAX_BYTES: '4294967296' },
  C1FAPP_CALL_MAX_BYTES: { C1FAPP_MAX_ANSWER_BYTES: '1024' }
}

// Each integer setting's range as the contract (§4) and README give it, written out here rather than
// read from the schema under test: a bound widened or narrowed in lib/config.ts fails below.
const RANGES: Record<string, [number, number | undefined]> = {
  JWKS_TIMEOUT_MS: [100, 60000],
  JWKS_CACHE_TTL_MS: [1000, 86400000],
  C1FAPP_TIMEOUT_MS: [100, 60000],
  C1FAPP_CONCURRENCY: [1, 64],
  C1FAPP_MAX_SOCKETS: [1, 1024],
  C1FAPP_RETRIES: [0, 5],
  C1FAPP_DEADLINE_MS: [500, 120000],
  C1FAPP_MAX_ANSWER_BYTES: [1024, 268435456],
  C1FAPP_CALL_MAX_BYTES: [1024, 4294967296],
  C1FAPP_BREAKER_FAILURES: [0, 100],
  C1FAPP_BREAKER_COOLDOWN_S: [1, 3600],
  C1FAPP_DAILY_LIMIT: [1, 10000000],
  C1FAPP_QUOTA_BACKOFF_S: [1, 86400],
  HEALTH_TRUST_S: [0, 86400],
  CACHE_TTL_S: [0, 86400],
  CACHE_MAX_MB: [1, 4096],
  CACHE_REDIS_TIMEOUT_MS: [10, 10000],
  METRICS_PORT: [0, 65535],
  MAX_OBSERVABLES: [1, 10000],
  MAX_VALUE_LENGTH: [16, 65536],
  MAX_BODY_BYTES: [1024, 67108864],
  JUDGEMENT_VALID_DAYS: [1, 365],
  ANSWER_MAX_BYTES: [10000, 268435456],
  MAX_EVENT_LOOP_DELAY_MS: [0, 60000],
  MAX_HEAP_USED_BYTES: [0, undefined],
  MAX_RSS_BYTES: [0, undefined],
  REQUEST_TIMEOUT_MS: [1000, 300000],
  CONNECTION_TIMEOUT_MS: [1000, 600000],
  SHUTDOWN_GRACE_MS: [0, 600000],
  PORT: [0, 65535]
}

const integerSettings = (): Array<[string, TSchema]> =>
  Object.entries(EnvironmentSchema.properties as Record<string, TSchema>).filter(([, schema]) => schema.type === 'integer')

t.test('every integer setting: its minimum and maximum are accepted, one past either is refused by name', async t => {
  const integers = integerSettings()
  t.strictSame(integers.map(([name]) => name).sort(), Object.keys(RANGES).sort(), 'the integer settings are the ones whose ranges are written out here')
  for (const [name, schema] of integers) {
    const env = (value: number) => ({ ...secret, ...COMPANIONS[name], [name]: String(value) })
    const refused = { name: 'ConfigError', message: `Invalid configuration: ${name} is invalid: it must be ${schema.description as string}` }
    const [minimum, maximum] = RANGES[name]
    for (const [edge, bound] of [['minimum', minimum], ['maximum', maximum]] as const) {
      if (bound === undefined) continue
      t.equal((readConfig(env(bound)).config as unknown as Record<string, unknown>)[name], bound, `${name}=${bound} (its ${edge})`)
      const past = edge === 'minimum' ? bound - 1 : bound + 1
      t.throws(() => readConfig(env(past)), refused, `${name}=${past} is refused`)
    }
  }
})

t.test('every integer setting\'s description gives the range its schema holds', async t => {
  for (const [name, schema] of integerSettings()) {
    const description = schema.description as string
    const range = /\((\d+)–(\d+)[;)]/.exec(description)
    const atMost = /(?:at most|up to) (\d+)\)/.exec(description)
    if (range !== null) {
      t.strictSame([Number(range[1]), Number(range[2])], [schema.minimum, schema.maximum], `${name}: "(${range[1]}–${range[2]})"`)
    } else if (atMost !== null) {
      t.equal(Number(atMost[1]), schema.maximum, `${name}: "at most ${atMost[1]}"`)
      t.match(description, new RegExp(`\\(${schema.minimum as number} `), `${name}: its minimum, ${schema.minimum as number}, opens the parenthesis`)
    } else {
      t.equal(schema.maximum, undefined, `${name} has no maximum to give`)
      t.match(description, new RegExp(`\\(${schema.minimum as number} turns the check off`), `${name}: its minimum, ${schema.minimum as number}, turns it off`)
    }
  }
})

t.test('CONNECTION_TIMEOUT_MS must outlast C1FAPP_DEADLINE_MS', async t => {
  const message = 'Invalid configuration: CONNECTION_TIMEOUT_MS must be longer than C1FAPP_DEADLINE_MS (a call waiting on C1fApp sends nothing meanwhile)'
  t.throws(() => readConfig({ ...secret, CONNECTION_TIMEOUT_MS: '20000' }), { message })
  t.equal(readConfig({ ...secret, CONNECTION_TIMEOUT_MS: '20001' }).config.CONNECTION_TIMEOUT_MS, 20001)
})

t.test('C1FAPP_CALL_MAX_BYTES must hold the largest answer one C1fApp request may bring', async t => {
  const message = 'Invalid configuration: C1FAPP_CALL_MAX_BYTES must be at least C1FAPP_MAX_ANSWER_BYTES (a call must be able to read the largest answer it accepts)'
  t.throws(() => readConfig({ ...secret, C1FAPP_MAX_ANSWER_BYTES: '33554433' }), { message }, 'a larger answer limit needs a larger budget')
  t.throws(() => readConfig({ ...secret, C1FAPP_CALL_MAX_BYTES: '16777215' }), { message })
  t.match(readConfig({ ...secret, C1FAPP_CALL_MAX_BYTES: '16777216' }).config, { C1FAPP_CALL_MAX_BYTES: 16777216, C1FAPP_MAX_ANSWER_BYTES: 16777216 })
})

t.test('TRUST_PROXY: false, true, or the proxies\' addresses and ranges', async t => {
  const trust = (value: string) => readConfig({ ...secret, TRUST_PROXY: value }).config.TRUST_PROXY
  t.equal(trust(''), false, 'unset')
  t.equal(trust('false'), false)
  t.equal(trust('TRUE'), true)
  t.strictSame(trust('10.0.0.7'), ['10.0.0.7'])
  t.strictSame(trust(' 10.0.0.0/8, 192.168.1.1/32,::1, fd00::/8 ,loopback,LinkLocal,uniquelocal'),
    ['10.0.0.0/8', '192.168.1.1/32', '::1', 'fd00::/8', 'loopback', 'linklocal', 'uniquelocal'])
  const rule = 'TRUST_PROXY is invalid: it must be false (trust no proxy), true (trust every proxy) or the comma-separated ' +
    'addresses or CIDR ranges of the reverse proxies whose X-Forwarded-For may be trusted (loopback, linklocal and uniquelocal name their ranges)'
  // A hop count is refused: Fastify 5 no longer honours one (a direct client could spoof its address).
  for (const value of ['1', '2', 'yes', 'proxy.example', '10.0.0.1,', '10.0.0.256', '10.0.0.0/0', '10.0.0.0/33', '10.0.0.0/8/8',
    '10.0.0.0/', '10.0.0.0/x', '::/129', 'fe80::1%eth0', '10.0.0.0/255.0.0.0']) {
    t.throws(() => readConfig({ ...secret, TRUST_PROXY: value }), { name: 'ConfigError', message: `Invalid configuration: ${rule}` }, value)
  }
  t.throws(() => readConfig({ ...secret, TRUST_PROXY: 'maybe', PORT: 'x' }), {
    message: /^Invalid configuration: PORT is invalid: .*; TRUST_PROXY is invalid: /
  }, 'named with the other problems')
})

t.test('the config plugin decorates the instance and logs the warnings once', async t => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(chunk.toString()); done() } })
  const server = await buildApp(t, { CTR_ENTITIES_LIMIT: 'lots' }, { level: 'warn', stream })
  t.equal(server.config.CTR_ENTITIES_LIMIT, 100)
  t.equal(lines.length, 1)
  t.match(JSON.parse(lines[0]), { level: 40, msg: 'CTR_ENTITIES_LIMIT must be a positive integer; using the default 100' })
})

t.test('the daily quota: C1FAPP_DAILY_LIMIT (unset: counted, not enforced), HEALTH_TRUST_S, C1FAPP_QUOTA_BACKOFF_S', async t => {
  t.equal(readConfig(secret).config.C1FAPP_DAILY_LIMIT, undefined)
  const { config } = readConfig({ ...secret, C1FAPP_DAILY_LIMIT: '50', HEALTH_TRUST_S: '0', C1FAPP_QUOTA_BACKOFF_S: '86400' })
  t.strictSame([config.C1FAPP_DAILY_LIMIT, config.HEALTH_TRUST_S, config.C1FAPP_QUOTA_BACKOFF_S], [50, 0, 86400])
  for (const [name, value, rule] of [
    ['C1FAPP_DAILY_LIMIT', '0', "requests a day each C1fApp key may make, unless its token's C1FAPP_DAILY_LIMIT claim says otherwise (1–10000000; unset: counted, not enforced)"],
    ['C1FAPP_DAILY_LIMIT', '10000001', "requests a day each C1fApp key may make, unless its token's C1FAPP_DAILY_LIMIT claim says otherwise (1–10000000; unset: counted, not enforced)"],
    ['HEALTH_TRUST_S', '86401', 'seconds a key that C1fApp answered is reported healthy by /health without asking C1fApp again (0 asks every time, at most 86400)'],
    ['C1FAPP_QUOTA_BACKOFF_S', '0', 'seconds a key makes no C1fApp request after C1fApp refused it with HTTP 429 and no usable Retry-After (1–86400)']
  ]) {
    t.throws(() => readConfig({ ...secret, [name]: value }), { message: `Invalid configuration: ${name} is invalid: it must be ${rule}` }, `${name}=${value}`)
  }
})

t.test('C1FAPP_API_URL: https, or http to a loopback host only (the key travels in the body)', async t => {
  const secret = { SECRET_KEY: 'x'.repeat(32) }
  for (const url of ['https://www.c1fapp.com/cifapp/api/', 'https://10.0.0.5:8443/api', 'http://127.0.0.1:8080/cifapp/api/', 'http://127.0.0.2/', 'http://localhost:3001/', 'http://LOCALHOST/', 'http://[::1]:3001/']) {
    t.equal(readConfig({ ...secret, C1FAPP_API_URL: url }).config.C1FAPP_API_URL, url, url)
  }
  for (const url of ['http://www.c1fapp.com/cifapp/api/', 'http://10.0.0.5/', 'http://localhost.attacker.example/', 'http://127.0.0.1.attacker.example/', 'http://[::2]/', 'http://0.0.0.0/', 'https://c1fapp.example:99999/']) {
    t.throws(() => readConfig({ ...secret, C1FAPP_API_URL: url }), { name: 'ConfigError', message: /^Invalid configuration: C1FAPP_API_URL is invalid: it must be the C1fApp API endpoint, an https:\/\/ URL \(http:\/\/ only for a loopback host/ }, url)
  }
})

t.test('CACHE_REDIS_URL needs a secret for the entries\' HMAC: SECRET_KEY, else CACHE_REDIS_SECRET', async t => {
  const rs256 = { RELAY_PUBLIC_URL: 'https://relay.example', CACHE_REDIS_URL: 'redis://:pw@cache.example:6379' }
  t.throws(() => readConfig(rs256), {
    name: 'ConfigError',
    message: 'Invalid configuration: CACHE_REDIS_URL needs CACHE_REDIS_SECRET (at least 32 characters, the same in every relay sharing the Redis), ' +
      'which signs the cache entries so that nobody who can write to the Redis can forge an answer; SECRET_KEY signs them when it is set, and neither is'
  })
  t.equal(readConfig({ ...rs256, CACHE_REDIS_SECRET: 's'.repeat(32) }).config.CACHE_REDIS_SECRET, 's'.repeat(32))
  t.throws(() => readConfig({ ...rs256, CACHE_REDIS_SECRET: 'short-cache-secret' }), { message: /^Invalid configuration: CACHE_REDIS_SECRET is invalid: it must be the secret, at least 32 characters,/ })
  t.notMatch((() => { try { readConfig({ ...rs256, CACHE_REDIS_SECRET: 'short-cache-secret' }) } catch (error) { return (error as Error).message } })(), /short-cache-secret/, 'never echoed')
  t.strictSame(readConfig({ ...rs256, SECRET_KEY: 'x'.repeat(32) }).warnings, [], 'SECRET_KEY signs them')
  t.strictSame(readConfig({ ...rs256, SECRET_KEY: 'x'.repeat(32), CACHE_REDIS_SECRET: 's'.repeat(32) }).warnings,
    ['CACHE_REDIS_SECRET is not used: SECRET_KEY is set, and signs the shared cache\'s entries'])
  t.doesNotThrow(() => readConfig({ RELAY_PUBLIC_URL: 'https://relay.example' }), 'no Redis, no secret needed')
})
