// Contract §5, shared cache: replicas on one real Redis spend the user's quota once per value and
// CACHE_TTL_S; whatever Redis does (down, gone, hanging, full, garbage), every call is answered as
// without a cache, a warning is logged, and Redis is used again once it is back.
import t from 'tap'
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { readConfig } from '../../lib/config.js'
import { createHandler } from '../../lambda.js'
import { REDIS_KEY_PREFIX } from '../../clients/answer-cache.js'
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
  t.match(warnings(entries)[0], { redis: `redis://default:***@127.0.0.1:${redis.port}`, reason: /^WRONGPASS/ }, 'naming Redis without the password')
  t.notOk(JSON.stringify(entries).includes(password))
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

t.test('garbage: an unreadable entry is replaced; a server that is no Redis is not used', async t => {
  const redis = await startRedis(t)
  const { entries, logging } = logEntries()
  const { first, second, simulator } = await relays(t, { CACHE_REDIS_URL: redis.url }, logging)
  await sightings(first)
  const [key] = await redis.client.keys(`${REDIS_KEY_PREFIX}*`)
  await redis.client.set(key, '{"not": "an answer"}')
  t.equal(await sightings(second), 1)
  t.equal(simulator.requests.length, 2, 'asked again')
  t.match(warnings(entries)[0], { msg: /\(read\)/, reason: /unreadable entry/ })
  t.equal(await sightings(first), 1)
  t.equal(simulator.requests.length, 2, 'the entry was replaced')

  const port = await freePort()
  const junk = net.createServer(socket => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')).listen(port, '127.0.0.1')
  t.teardown(() => junk.close())
  const odd = await buildApp(t, { CACHE_TTL_S: '60', C1FAPP_API_URL: simulator.url, CACHE_REDIS_URL: `redis://127.0.0.1:${port}` }, logging)
  t.equal(await sightings(odd), 1)
  t.equal(await sightings(odd), 1)
  t.equal(simulator.requests.length, 4)
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
