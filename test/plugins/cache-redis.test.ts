// Contract §5, shared cache: replicas on one real Redis spend the user's quota once per value and
// CACHE_TTL_S; whatever Redis does (down, gone, hanging, full, garbage), every call is answered as
// without a cache, a warning is logged, and Redis is used again once it is back. Whatever is
// written to it (a forged, expired, oversized or garbage entry) is ignored, counted and replaced.
import t from 'tap'
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { readConfig } from '../../lib/config.js'
import { createHandler } from '../../lambda.js'
import { REDIS_KEY_PREFIX } from '../../clients/answer-cache.js'
import { ENTRY_OVERHEAD_BYTES, entryKey, sealEntry } from '../../lib/cache-entry.js'
import { bearer, buildApp, buildRelay, C1FAPP_KEY, post, SECRET_KEY, token } from '../helper.js'
import { freePort, logEntries, startRedis, until } from '../support/redis.js'

const record = (value: string) => ({ feed_label: ['Phishtank'], reportime: ['2026-10-01'], confidence: [90], assessment: ['phishing'], domain: [value] })
const observe = (...values: string[]) => values.map(value => ({ type: 'domain', value }))
const sightings = async (app: Parameters<typeof post>[0], value = 'a.example', headers = bearer()) => {
  const answer = (await post(app, '/observe/observables', observe(value), headers)).json()
  return answer.errors === undefined ? answer.data.sightings?.count ?? 0 : answer
}
const warnings = (entries: Array<Record<string, any>>) => entries.filter(entry => entry.level === 40 && /^Redis unusable/.test(entry.msg))

async function relays (t: Parameters<typeof buildRelay>[0], env: Record<string, string>, logging = logEntries().logging) {
  const first = await buildRelay(t, { CACHE_TTL_S: '60', ...env }, logging)
  first.simulator.script('*', { body: [record('a.example')] })
  const second = await buildApp(t, { CACHE_TTL_S: '60', C1FAPP_API_URL: first.simulator.url, ...env }, logging)
  return { first: first.app, second, simulator: first.simulator }
}

t.test('two relays on one Redis: a value asked of one is not asked of C1fApp by the other', async t => {
  const redis = await startRedis(t)
  const { first, second, simulator } = await relays(t, { CACHE_REDIS_URL: redis.url })
  t.equal(await sightings(first), 1)
  t.equal(await sightings(second), 1, 'the same answer from the other relay')
  t.equal(await sightings(second), 1)
  t.equal(simulator.requests.length, 1, 'C1fApp was asked once')
  const keys = await redis.client.keys(`${REDIS_KEY_PREFIX}*`)
  t.equal(keys.length, 1)
  t.match(keys[0], new RegExp(`^${REDIS_KEY_PREFIX}[\\w-]{43}$`), 'the entry is known by a hash')
  t.notOk(keys[0].includes('a.example') || keys[0].includes(C1FAPP_KEY), 'neither the value nor the key is in it')
  const ttl = await redis.client.ttl(keys[0])
  t.ok(ttl > 55 && ttl <= 60, `kept for CACHE_TTL_S (${ttl} s left)`)
})

t.test('different keys never share an entry', async t => {
  const redis = await startRedis(t)
  const { first, second, simulator } = await relays(t, { CACHE_REDIS_URL: redis.url })
  await sightings(first)
  await sightings(second, 'a.example', bearer(token({ key: 'another-users-key' })))
  await sightings(first, 'a.example', bearer(token({ key: 'another-users-key' })))
  t.strictSame(simulator.requests.map(r => JSON.parse(r.body).key), [C1FAPP_KEY, 'another-users-key'])
  t.equal((await redis.client.keys(`${REDIS_KEY_PREFIX}*`)).length, 2)
})

t.test('entries expire with CACHE_TTL_S', async t => {
  const redis = await startRedis(t)
  const { first, second, simulator } = await relays(t, { CACHE_REDIS_URL: redis.url, CACHE_TTL_S: '1' })
  await sightings(first)
  await sightings(second)
  t.equal(simulator.requests.length, 1)
  await sleep(1100)
  t.equal(await sightings(second), 1)
  t.equal(simulator.requests.length, 2, 'asked again once the entry expired')
})

t.test('identical lookups in flight in one relay are made once', async t => {
  const redis = await startRedis(t)
  const { first, simulator } = await relays(t, { CACHE_REDIS_URL: redis.url })
  simulator.script('*', { delayMs: 200, body: [record('a.example')] })
  t.strictSame(await Promise.all([1, 2, 3].map(() => sightings(first))), [1, 1, 1])
  t.equal(simulator.requests.length, 1)
})

t.test('nothing found is shared, errors are not', async t => {
  const redis = await startRedis(t)
  const { first, second, simulator } = await relays(t, { CACHE_REDIS_URL: redis.url })
  simulator.script('none.example', { body: [] })
  simulator.script('fails.example', [{ status: 503, body: 'busy' }, { body: [record('fails.example')] }])
  t.equal(await sightings(first, 'none.example'), 0)
  t.equal(await sightings(second, 'none.example'), 0)
  t.match(await sightings(first, 'fails.example'), { errors: [{ code: 'unknown' }] })
  t.equal(await sightings(second, 'fails.example'), 1, 'the error was not kept')
  t.equal(await sightings(first, 'fails.example'), 1)
  t.equal(simulator.requests.length, 3)
})

t.test('a password in the URL is used and never logged', async t => {
  const password = 'redis-password-7f3a9c1e'
  const redis = await startRedis(t, ['--requirepass', password])
  const { entries, logging } = logEntries()
  const good = `redis://:${password}@127.0.0.1:${redis.port}`
  const { first, second, simulator } = await relays(t, { CACHE_REDIS_URL: good }, logging)
  await sightings(first)
  await sightings(second)
  t.equal(simulator.requests.length, 1, 'shared through the authenticated connection')
  const wrong = await buildApp(t, { CACHE_TTL_S: '60', C1FAPP_API_URL: simulator.url, CACHE_REDIS_URL: `redis://default:wrong-${password}@127.0.0.1:${redis.port}` }, logging)
  t.equal(await sightings(wrong), 1, 'a wrong password: answered without the cache')
  t.equal(simulator.requests.length, 2)
  t.ok(warnings(entries).length > 0, 'with a warning')
  t.match(warnings(entries)[0], { redis: `redis://127.0.0.1:${redis.port}/0`, reason: /^WRONGPASS/ }, 'naming Redis without the password')
  t.notOk(JSON.stringify(entries).includes(password))
})

t.test('a password in the query (?password=, which ioredis takes) is used and never logged, whatever happens', async t => {
  const password = 'query-password-4b8e2d6a'
  const redis = await startRedis(t, ['--requirepass', password])
  const { entries, logging } = logEntries()
  const url = `redis://127.0.0.1:${redis.port}/2?password=${password}`
  const { first, second, simulator } = await relays(t, { CACHE_REDIS_URL: url }, logging)
  await sightings(first)
  await sightings(second)
  t.equal(simulator.requests.length, 1, 'shared through the authenticated connection')
  t.match(entries.find(entry => entry.msg === 'C1fApp endpoint and answer cache'), { cache: 'redis', redis: `redis://127.0.0.1:${redis.port}/2`, c1fappApiUrl: simulator.url },
    'start-up says which Redis and which endpoint')
  await buildApp(t, { CACHE_TTL_S: '60', C1FAPP_API_URL: simulator.url, CACHE_REDIS_URL: `redis://127.0.0.1:${redis.port}/0?password=wrong-${password}` }, logging)
  await redis.stop()
  t.equal(await sightings(first), 1, 'answered while Redis is down')
  t.ok(warnings(entries).length >= 2, 'warnings: a wrong password, Redis down')
  for (const warning of warnings(entries)) t.match(warning.redis, new RegExp(`^redis://127\\.0\\.0\\.1:${redis.port}/[02]$`), 'scheme, host, port and database only')
  t.notOk(JSON.stringify(entries).includes(password), 'the password is in no log line')
  t.notOk(JSON.stringify(entries).includes('password='))
})

// Each fault: the calls are answered exactly as with a working cache, C1fApp is asked instead.
t.test('Redis stopped before start-up: calls answered, a warning, and Redis used once it comes', async t => {
  const redis = await startRedis(t)
  await redis.stop()
  const { entries, logging } = logEntries()
  const { first, second, simulator } = await relays(t, { CACHE_REDIS_URL: redis.url }, logging)
  t.equal(await sightings(first), 1)
  t.equal(await sightings(second), 1)
  t.equal(simulator.requests.length, 2, 'each asked C1fApp')
  t.ok(warnings(entries).length > 0, 'a warning')
  t.match(warnings(entries)[0].reason, /ECONNREFUSED/)
  await redis.restart()
  await until(() => entries.filter(entry => entry.msg === 'Redis is back').length === 2)
  await sightings(first)
  await sightings(second)
  t.equal(simulator.requests.length, 3, 'shared again')
})

t.test('Redis gone mid-run and restarted: calls answered, then the cache works again', async t => {
  const redis = await startRedis(t)
  const { entries, logging } = logEntries()
  const { first, second, simulator } = await relays(t, { CACHE_REDIS_URL: redis.url }, logging)
  await sightings(first)
  await redis.stop()
  t.equal(await sightings(second), 1)
  t.equal(await sightings(first), 1)
  t.equal(simulator.requests.length, 3)
  t.ok(warnings(entries).length > 0, 'a warning')
  const logged = warnings(entries).length
  for (let i = 0; i < 5; i++) await sightings(first)
  t.ok(warnings(entries).length <= logged + 1, 'warnings are rate-limited')
  await redis.restart()
  await until(() => entries.filter(entry => entry.msg === 'Redis is back').length === 2)
  const asked = simulator.requests.length
  await sightings(first)
  await sightings(second)
  t.equal(simulator.requests.length, asked + 1, 'the cache works again')
})

t.test('a Redis that hangs (SIGSTOP): each command gives up after CACHE_REDIS_TIMEOUT_MS', async t => {
  const redis = await startRedis(t)
  const { entries, logging } = logEntries()
  const { first, second, simulator } = await relays(t, { CACHE_REDIS_URL: redis.url, CACHE_REDIS_TIMEOUT_MS: '100' }, logging)
  redis.pause()
  t.equal(await sightings(first), 1)
  t.equal(await sightings(second), 1)
  t.equal((await post(first, '/health')).json().data.status, 'ok', '/health does not depend on Redis')
  t.equal(simulator.requests.length, 3)
  t.match(warnings(entries)[0].reason, /timed out/)
  redis.resume()
})

t.test('a full Redis (maxmemory, noeviction) refusing writes', async t => {
  const redis = await startRedis(t, ['--maxmemory-policy', 'noeviction'])
  await redis.client.config('SET', 'maxmemory', '1')
  const { entries, logging } = logEntries()
  const { first, second, simulator } = await relays(t, { CACHE_REDIS_URL: redis.url }, logging)
  t.equal(await sightings(first), 1)
  t.equal(await sightings(second), 1)
  t.equal(simulator.requests.length, 2)
  // the day's count is Redis' first write of a lookup: it is refused first, and counted in the process
  t.match(warnings(entries)[0], { msg: /\(quota count\)/, reason: /^OOM/ })
})

const errorsCounted = async (app: Parameters<typeof post>[0]) =>
  Number(/relay_cache_errors_total\{kind="redis"\} (\d+)/.exec(await app.metrics.registry!.getSingleMetricAsString('relay_cache_errors_total'))![1])
const forgedRecord = { feed_label: ['Attacker feed'], reportime: ['2026-10-02'], confidence: [99], assessment: ['malware'], domain: ['a.example'] }

// Each bad entry: ignored, counted as a cache error with a warning that says what was wrong,
// C1fApp asked instead, and the entry replaced by C1fApp's answer (used by the next call).
t.test('a bad entry in Redis is ignored, counted and replaced: garbage, forged, expired inside, oversized, unreadable', async t => {
  const redis = await startRedis(t)
  const { entries, logging } = logEntries()
  const { first, simulator } = await relays(t, { CACHE_REDIS_URL: redis.url, C1FAPP_MAX_ANSWER_BYTES: '1024' }, logging)
  await sightings(first)
  const [key] = await redis.client.keys(`${REDIS_KEY_PREFIX}*`)
  const signing = entryKey(SECRET_KEY)
  const forged = JSON.stringify([forgedRecord])
  const bad: Record<string, { entry: string, reason: RegExp }> = {
    garbage: { entry: '{"not": "an answer"}', reason: /^an entry the relay did not write under / },
    'forged (another secret)': { entry: sealEntry(entryKey('x'.repeat(32)), key, Date.now() + 86400000, forged), reason: /^an entry whose HMAC is wrong under / },
    'forged (the header of a good entry, another body)': { entry: (await redis.client.get(key))!.split('\n')[0] + '\n' + forged, reason: /^an entry whose HMAC is wrong under / },
    'moved from another name': { entry: sealEntry(signing, `${REDIS_KEY_PREFIX}another`, Date.now() + 86400000, forged), reason: /^an entry whose HMAC is wrong under / },
    'expired inside': { entry: sealEntry(signing, key, Date.now() - 1, forged), reason: /^an expired entry under / },
    oversized: { entry: sealEntry(signing, key, Date.now() + 86400000, JSON.stringify([{ ...forgedRecord, description: ['x'.repeat(1024 + ENTRY_OVERHEAD_BYTES)] }])), reason: /^an entry larger than 1152 bytes under / },
    'signed but unreadable': { entry: sealEntry(signing, key, Date.now() + 86400000, '{"not": "an answer"}'), reason: /^an unreadable entry under / }
  }
  for (const [name, { entry, reason }] of Object.entries(bad)) {
    // no Redis expiry: as an attacker would write it, to stay for good
    await redis.client.set(key, entry)
    const asked = simulator.requests.length
    const logged = entries.length
    // a relay of its own for each (its warnings are rate-limited)
    const reader = await buildApp(t, { CACHE_TTL_S: '60', C1FAPP_API_URL: simulator.url, CACHE_REDIS_URL: redis.url, C1FAPP_MAX_ANSWER_BYTES: '1024' }, logging)
    const answer = JSON.stringify((await post(reader, '/observe/observables', observe('a.example'))).json())
    t.ok(answer.includes('Feed: Phishtank') && !answer.includes('Attacker feed'), `${name}: not used: C1fApp's answer instead`)
    t.equal(simulator.requests.length, asked + 1, `${name}: C1fApp asked instead`)
    t.equal(await errorsCounted(reader), 1, `${name}: counted as a Redis cache error`)
    t.match(entries.slice(logged).filter(entry => /^Redis unusable \(read\)/.test(entry.msg)), [{ level: 40, reason }], `${name}: a warning says why`)
    t.equal(await sightings(first), 1)
    t.equal(simulator.requests.length, asked + 1, `${name}: replaced by C1fApp's answer, which the other relay uses`)
    const ttl = await redis.client.pttl(key)
    t.ok(ttl > 0 && ttl <= 60000, `${name}: the replacement expires`)
    await reader.close()
  }
})

t.test('garbage: a server that is no Redis is not used', async t => {
  const { logging } = logEntries()
  const { simulator } = await buildRelay(t)
  simulator.script('*', { body: [record('a.example')] })

  const port = await freePort()
  const junk = net.createServer(socket => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')).listen(port, '127.0.0.1')
  t.teardown(() => junk.close())
  const odd = await buildApp(t, { CACHE_TTL_S: '60', C1FAPP_API_URL: simulator.url, CACHE_REDIS_URL: `redis://127.0.0.1:${port}` }, logging)
  t.equal(await sightings(odd), 1)
  t.equal(await sightings(odd), 1)
  t.equal(simulator.requests.length, 2)
})

t.test('shutdown closes the connection', async t => {
  const redis = await startRedis(t)
  const { second } = await relays(t, { CACHE_REDIS_URL: redis.url })
  const named = async () => ((await redis.client.client('LIST')) as string).split('\n').filter(line => line.includes('name=c1fapp-relay')).length
  t.equal(await named(), 2)
  await second.close()
  await sleep(100)
  t.equal(await named(), 1)
})

t.test('Lambda instances share the cache too', async t => {
  const redis = await startRedis(t)
  const { simulator } = await buildRelay(t)
  simulator.script('*', { body: [record('a.example')] })
  const event = {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/observe/observables',
    rawQueryString: '',
    isBase64Encoded: false,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token()}` },
    requestContext: { http: { method: 'POST', path: '/observe/observables', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' } },
    body: JSON.stringify(observe('a.example'))
  } as any
  for (const name of ['first', 'second']) {
    const handler = createHandler({ SECRET_KEY, C1FAPP_API_URL: simulator.url, LOG_LEVEL: 'silent', CACHE_REDIS_URL: redis.url, METRICS_PORT: '0', AWS_LAMBDA_FUNCTION_NAME: 'relay' })
    t.teardown(async () => (await handler.server()).close())
    const answer = await handler(event, {} as any)
    t.equal(JSON.parse(answer.body).data.sightings.count, 1, `${name} instance`)
    t.equal((await handler.server()).metrics.address(), undefined, 'no metrics listener on Lambda')
  }
  t.equal(simulator.requests.length, 1, 'C1fApp asked once for both instances')
})

t.test('CACHE_REDIS_URL and CACHE_REDIS_TIMEOUT_MS are checked at start-up, the URL never echoed', async t => {
  const secret = 'p4ssw0rd-in-url'
  for (const url of [`http://:${secret}@cache.example`, `redis:/cache.example/${secret}`, `redis://:${secret}@cache.example:99999`, `redis:// ${secret}`]) {
    t.throws(() => readConfig({ SECRET_KEY, CACHE_REDIS_URL: url }), {
      name: 'ConfigError',
      message: 'Invalid configuration: CACHE_REDIS_URL is invalid: it must be a redis:// or rediss:// URL (user and password in it) of the Redis or Valkey that replicas share as their cache'
    }, url)
  }
  t.equal(readConfig({ SECRET_KEY, CACHE_REDIS_URL: `rediss://user:${secret}@cache.example:6380/2` }).config.CACHE_REDIS_URL, `rediss://user:${secret}@cache.example:6380/2`)
  for (const timeout of ['5', '10001', 'soon']) t.throws(() => readConfig({ SECRET_KEY, CACHE_REDIS_TIMEOUT_MS: timeout }), { message: /CACHE_REDIS_TIMEOUT_MS is invalid/ }, timeout)
})

t.test('entry names hold the C1fApp endpoint: relays on different endpoints never share', async t => {
  const redis = await startRedis(t)
  const { first, simulator } = await relays(t, { CACHE_REDIS_URL: redis.url })
  const staging = await buildRelay(t, { CACHE_TTL_S: '60', CACHE_REDIS_URL: redis.url })
  staging.simulator.script('*', { body: [{ ...forgedRecord, feed_label: ['Staging feed'] }] })
  await sightings(first)
  const answer = JSON.stringify((await post(staging.app, '/observe/observables', observe('a.example'))).json())
  t.ok(answer.includes('Feed: Staging feed') && !answer.includes('Feed: Phishtank'), "the staging relay's own endpoint answered")
  t.equal(staging.simulator.requests.length, 1)
  t.equal(simulator.requests.length, 1)
  t.equal((await redis.client.keys(`${REDIS_KEY_PREFIX}*`)).length, 2, 'an entry for each endpoint')
})

t.test('relays with another secret cannot read (nor forge) the entries; CACHE_REDIS_SECRET signs them without SECRET_KEY', async t => {
  const redis = await startRedis(t)
  const { entries, logging } = logEntries()
  const { first, simulator } = await relays(t, { CACHE_REDIS_URL: redis.url })
  await sightings(first)
  const other = await buildApp(t, { CACHE_TTL_S: '60', C1FAPP_API_URL: simulator.url, CACHE_REDIS_URL: redis.url, SECRET_KEY: 'another-secret-key-that-is-long-enough-42' }, logging)
  t.equal(await sightings(other, 'a.example', bearer(token({ key: C1FAPP_KEY }, 'another-secret-key-that-is-long-enough-42'))), 1)
  t.equal(simulator.requests.length, 2, 'the entry of another secret is not used')
  t.match(warnings(entries)[0], { reason: /^an entry whose HMAC is wrong/ })

  const secret = { SECRET_KEY: undefined, RELAY_PUBLIC_URL: 'https://relay.example', CACHE_REDIS_SECRET: 'cache-secret-of-the-relays-0123456789' }
  const [a, b] = [await buildApp(t, { CACHE_TTL_S: '60', C1FAPP_API_URL: simulator.url, CACHE_REDIS_URL: redis.url, ...secret }, logging),
    await buildApp(t, { CACHE_TTL_S: '60', C1FAPP_API_URL: simulator.url, CACHE_REDIS_URL: redis.url, ...secret }, logging)]
  t.equal(a.config.SECRET_KEY, undefined)
  const lookup = async (app: typeof a) => app.c1fapp.lookupEach(C1FAPP_KEY, [{ type: 'domain', value: 'b.example' }], app.log)
  await lookup(a)
  await lookup(b)
  t.equal(simulator.requests.length, 3, 'two RS256-only relays share through CACHE_REDIS_SECRET')
})

t.test('start-up says which cache and which endpoint, without a secret', async t => {
  const { entries, logging } = logEntries()
  const { simulator } = await buildRelay(t)
  await buildApp(t, { C1FAPP_API_URL: `${simulator.url}?token=secret-in-query`, CACHE_TTL_S: '60' }, logging)
  await buildApp(t, { C1FAPP_API_URL: simulator.url, CACHE_TTL_S: '0' }, logging)
  t.strictSame(entries.filter(entry => entry.msg === 'C1fApp endpoint and answer cache').map(({ c1fappApiUrl, cache, redis }) => ({ c1fappApiUrl, cache, redis })), [
    { c1fappApiUrl: simulator.url, cache: 'memory', redis: undefined },
    { c1fappApiUrl: simulator.url, cache: 'none', redis: undefined }
  ])
  t.notOk(JSON.stringify(entries).includes('secret-in-query'))
})
