// Contract §6, the daily quota: every request to C1fApp counted per key and UTC day (in one Redis
// for every replica, in the process while Redis is away), the limit from the token or the
// environment, no request past it or while C1fApp's 429 holds the key back, cached answers still
// served, and /health showing the bucket while spending the quota only when it must. The clock is
// the tests' own (a day ends without waiting for it).
import t from 'tap'
import { createHash } from 'node:crypto'
import { HEALTH_KEY_PREFIX, QUOTA_KEY_PREFIX } from '../../clients/quota.js'
import { C1FAPP_KEY, bearer, buildApp, buildRelay, fatal, healthOk, observeBody, post, saveAnswer, token } from '../helper.js'
import { configurationEnv, configurationToken, signingKey, startJwksServer } from '../support/jwks.js'
import { logEntries, startRedis } from '../support/redis.js'
import { QUOTA_EXCEEDED } from '../../simulator/server.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const record = (value: string) => ({ feed_label: ['Phishtank'], reportime: ['2026-10-01'], confidence: [90], assessment: ['phishing'], domain: [value] })
const domains = (...values: string[]) => values.map(value => ({ type: 'domain', value }))
const iso = (ms: number) => new Date(ms).toISOString()
/** today's UTC midnight, by the real clock (Redis expires the counters by it) */
const midnight = () => Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate())

/** A clock the test moves by hand. */
function handClock (start: number) {
  let now = start
  return { clock: () => now, set: (ms: number) => { now = ms }, now: () => now }
}

const limitReached = (limit: number, made: number, resets: number) =>
  `C1fApp's daily limit of ${limit} requests for this key is reached (${made} made today); it resets at ${iso(resets)}.`
const refusedBy429 = (made: number, until: number, limit?: number) =>
  `C1fApp's daily limit${limit === undefined ? '' : ` of ${limit} requests`} for this key is reached: C1fApp refused a request with HTTP 429 (${made} made today); no request is made until ${iso(until)}.`

async function metric (app: Awaited<ReturnType<typeof buildApp>>, name: string): Promise<number> {
  const text = await app.metrics.registry!.getSingleMetricAsString(name)
  return Number(/ (\d+)$/m.exec(text)![1])
}

t.test('each request counts once in the key\'s day, and /health shows it', async t => {
  const time = handClock(midnight() + 10 * HOUR)
  const { app, simulator } = await buildRelay(t, {}, false, time.clock)
  simulator.script('*', { body: [record('a.example')] })
  t.strictSame((await post(app, '/health')).json(), healthOk(1, {}, new Date(time.now())), 'no limit: counted, not enforced, no bucket_limit')
  await post(app, '/observe/observables', domains('a.example', 'b.example', 'a.example'))
  await post(app, '/deliberate/observables', domains('c.example'))
  const health = (await post(app, '/health')).json()
  t.strictSame(health, healthOk(5, {}, new Date(time.now())), 'each distinct value once, /health probes too')
  t.equal(simulator.requests.length, 5, 'as many as C1fApp saw')
  saveAnswer('health', 'health-quota-counted', health)
  const other = (await post(app, '/health', undefined, bearer(token({ key: 'another-users-key' })))).json()
  t.strictSame(other, healthOk(1, {}, new Date(time.now())), 'each key its own bucket')
})

t.test('at the limit no request leaves: cached answers are served, the others left out with one error', async t => {
  const time = handClock(midnight() + 10 * HOUR)
  const { app, simulator } = await buildRelay(t, { CACHE_TTL_S: '600', C1FAPP_DAILY_LIMIT: '2' }, false, time.clock)
  simulator.script('*', { body: [record('a.example')] })
  t.equal(observeBody(t, await post(app, '/observe/observables', domains('a.example')), 'observe-quota-below').data.sightings.count, 1)
  const reachedAt = (time.set(time.now() + 1000), time.now())
  await post(app, '/observe/observables', domains('b.example'))
  time.set(time.now() + 1000)
  const partial = observeBody(t, await post(app, '/observe/observables', domains('a.example', 'c.example', 'd.example')), 'observe-quota-reached-partial')
  const resets = midnight() + DAY
  t.strictSame(partial.errors, [{ type: 'warning', code: 'too many requests', message: limitReached(2, 2, resets) }], 'one warning for both held lookups')
  t.equal(partial.data.sightings.count, 1, 'the cached observable is answered')
  t.equal(partial.data.sightings.docs[0].observables[0].value, 'a.example')
  const cached = observeBody(t, await post(app, '/observe/observables', domains('a.example', 'b.example')), 'observe-quota-reached-all-cached')
  t.notOk(cached.errors, 'every observable in the cache: answered whole, nothing about the quota')
  t.equal(cached.data.sightings.count, 2)
  const none = observeBody(t, await post(app, '/observe/observables', domains('c.example')), 'observe-quota-reached')
  t.strictSame(none, fatal('too many requests', limitReached(2, 2, resets)), 'nothing answered: fatal')
  const deliberate = (await post(app, '/deliberate/observables', domains('b.example', 'e.example'))).json()
  saveAnswer('deliberate', 'deliberate-quota-reached-partial', deliberate)
  t.equal(deliberate.data.verdicts.count, 1, 'deliberate: the cached verdict')
  t.strictSame(deliberate.errors, [{ type: 'warning', code: 'too many requests', message: limitReached(2, 2, resets) }])
  t.strictSame((await post(app, '/deliberate/observables', domains('e.example'))).json(), fatal('too many requests', limitReached(2, 2, resets)))
  const health = (await post(app, '/health')).json()
  t.strictSame(health, healthOk(2, { limit: 2, reachedAt: iso(reachedAt) }, new Date(time.now())), '/health: ok, the bucket reached, no probe')
  saveAnswer('health', 'health-quota-reached', health)
  t.equal(simulator.requests.length, 2, 'C1fApp was asked twice in all')
  t.equal(await metric(app, 'relay_quota_held_requests_total'), 5, 'held requests counted: two, one, one, one')
  t.equal(await metric(app, 'relay_health_unprobed_total'), 1, 'the /health without a probe counted')
})

t.test("the limit: the token's claim over the environment's; an unusable claim is ignored", async t => {
  const time = handClock(midnight() + HOUR)
  const { app, simulator } = await buildRelay(t, { C1FAPP_DAILY_LIMIT: '1' }, false, time.clock)
  const withLimit = (limit: unknown) => bearer(token({ key: C1FAPP_KEY, C1FAPP_DAILY_LIMIT: limit }))
  t.strictSame((await post(app, '/health', undefined, withLimit(3))).json(), healthOk(1, { limit: 3 }, new Date(time.now())), 'the claim: 3')
  t.strictSame((await post(app, '/health', undefined, withLimit('3'))).json(), healthOk(2, { limit: 3 }, new Date(time.now())), 'as a string of digits too')
  for (const unusable of [0, -1, 2.5, 'many', 10_000_001, null]) {
    t.strictSame((await post(app, '/health', undefined, withLimit(unusable))).json(), healthOk(2, { limit: 1, reachedAt: iso(time.now()) }, new Date(time.now())), `${JSON.stringify(unusable)}: the environment's 1`)
  }
  t.strictSame((await post(app, '/health')).json(), healthOk(2, { limit: 1, reachedAt: iso(time.now()) }, new Date(time.now())), "no claim: the environment's")
  t.equal(simulator.requests.length, 2)

  // the module form's field, in Threat Response's configuration token
  const key = signingKey('key-a')
  const jwks = await startJwksServer([key])
  t.teardown(() => jwks.close())
  const signed = await buildApp(t, configurationEnv(jwks, { C1FAPP_API_URL: simulator.url, C1FAPP_DAILY_LIMIT: '1' }), false, undefined, time.clock)
  const form = bearer(configurationToken(key, jwks.host, { C1FAPP_DAILY_LIMIT: 5 }))
  t.strictSame((await post(signed, '/health', undefined, form)).json(), healthOk(1, { limit: 5 }, new Date(time.now())), 'a configuration token: its claim')
})

t.test("C1fApp's 429 holds the key back for Retry-After, else C1FAPP_QUOTA_BACKOFF_S, at most a day", async t => {
  const time = handClock(midnight() + 2 * HOUR)
  const { app, simulator } = await buildRelay(t, { C1FAPP_QUOTA_BACKOFF_S: '60' }, false, time.clock)
  simulator.dailyLimit(C1FAPP_KEY, 1)
  t.strictSame((await post(app, '/observe/observables', domains('a.example'))).json(), { data: {} }, "within the simulator's plan of one request a day")
  t.equal(simulator.requests.length, 1)
  const refusedAt = time.now()
  const refused = observeBody(t, await post(app, '/observe/observables', domains('b.example')), 'observe-quota-429')
  t.strictSame(refused, fatal('too many requests', refusedBy429(2, refusedAt + 60_000)), "C1fApp's 429, without Retry-After: C1FAPP_QUOTA_BACKOFF_S")
  time.set(time.now() + 59_000)
  t.strictSame((await post(app, '/observe/observables', domains('c.example'))).json(), fatal('too many requests', refusedBy429(2, refusedAt + 60_000)), 'held back: no request')
  const health = (await post(app, '/health')).json()
  t.strictSame(health, healthOk(2, { reachedAt: iso(refusedAt) }, new Date(time.now())), '/health: ok, reached since the 429, no probe')
  saveAnswer('health', 'health-quota-429', health)
  t.equal(simulator.requests.length, 2, 'nothing asked while held back')

  time.set(refusedAt + 60_000)
  simulator.script('d.example', { status: 429, body: QUOTA_EXCEEDED, headers: { 'retry-after': '120' } })
  t.strictSame((await post(app, '/observe/observables', domains('d.example'))).json(), fatal('too many requests', refusedBy429(3, time.now() + 120_000)), 'Retry-After in seconds')
  time.set(time.now() + 120_000)
  const until = Math.floor((time.now() + 5 * HOUR) / 1000) * 1000
  simulator.script('e.example', { status: 429, body: QUOTA_EXCEEDED, headers: { 'retry-after': new Date(until).toUTCString() } })
  t.strictSame((await post(app, '/observe/observables', domains('e.example'))).json(), fatal('too many requests', refusedBy429(4, until)), 'Retry-After as an HTTP date')
  time.set(until)
  simulator.script('f.example', { status: 429, body: QUOTA_EXCEEDED, headers: { 'retry-after': String(3 * 86400) } })
  t.strictSame((await post(app, '/observe/observables', domains('f.example'))).json(), fatal('too many requests', refusedBy429(5, time.now() + DAY)), 'never more than a day')
  t.equal(simulator.requests.length, 5)
})

t.test('a retry that the quota holds back leaves the last answer standing', async t => {
  const { app, simulator } = await buildRelay(t, { C1FAPP_RETRIES: '2', C1FAPP_DAILY_LIMIT: '1' })
  simulator.script('*', { status: 503, body: 'Service Unavailable' })
  t.strictSame((await post(app, '/observe/observables', domains('a.example'))).json(), fatal('unknown', 'Unexpected response from C1fApp: Service Unavailable'))
  t.equal(simulator.requests.length, 1, 'no retry past the limit')
})

t.test('/health asks C1fApp only when the key has not been answered within HEALTH_TRUST_S', async t => {
  const time = handClock(midnight() + 3 * HOUR)
  const { app, simulator } = await buildRelay(t, { HEALTH_TRUST_S: '600' }, false, time.clock)
  t.strictSame((await post(app, '/health')).json(), healthOk(1, {}, new Date(time.now())), 'the first /health asks')
  time.set(time.now() + 599_999)
  t.strictSame((await post(app, '/health')).json(), healthOk(1, {}, new Date(time.now())), 'within HEALTH_TRUST_S: not asked')
  await post(app, '/observe/observables', domains('a.example'))
  time.set(time.now() + 599_999)
  t.strictSame((await post(app, '/health')).json(), healthOk(2, {}, new Date(time.now())), 'any answered lookup renews the trust')
  time.set(time.now() + 600_000)
  t.strictSame((await post(app, '/health')).json(), healthOk(3, {}, new Date(time.now())), 'past it: asked again')
  t.equal(simulator.requests.length, 3)
  simulator.script('*', { status: 403, body: 'Invalid API key' })
  await post(app, '/observe/observables', domains('b.example'))
  t.strictSame((await post(app, '/health')).json(), fatal('forbidden', 'Unexpected response from C1fApp: Invalid API key'), 'a key C1fApp refused is trusted no more: asked, and the error shown')
  t.equal(await metric(app, 'relay_health_unprobed_total'), 2, 'the two /health answered without a probe')
})

t.test('the day rolls over at UTC midnight', async t => {
  const time = handClock(midnight() + DAY - 1000)
  const { app, simulator } = await buildRelay(t, { C1FAPP_DAILY_LIMIT: '1' }, false, time.clock)
  await post(app, '/observe/observables', domains('a.example'))
  t.strictSame((await post(app, '/observe/observables', domains('b.example'))).json(), fatal('too many requests', limitReached(1, 1, midnight() + DAY)))
  time.set(midnight() + DAY)
  t.strictSame((await post(app, '/health')).json(), healthOk(1, { limit: 1, reachedAt: iso(time.now()) }, new Date(time.now())), "a new day's bucket: the probe its first request")
  t.equal(simulator.requests.length, 2)
})

t.test('with Redis: one count for every replica, held back and trusted in every replica', async t => {
  const redis = await startRedis(t)
  // Redis expires the held-back mark by its own clock: the test's starts at the real time
  const time = handClock(Date.now())
  const env = { CACHE_REDIS_URL: redis.url, C1FAPP_DAILY_LIMIT: '3', HEALTH_TRUST_S: '600', C1FAPP_QUOTA_BACKOFF_S: '60' }
  const { app: first, simulator } = await buildRelay(t, env, false, time.clock)
  const second = await buildApp(t, { ...env, C1FAPP_API_URL: simulator.url }, false, undefined, time.clock)
  simulator.script('*', { body: [record('a.example')] })
  await post(first, '/observe/observables', domains('a.example', 'b.example'))
  t.strictSame((await post(second, '/health')).json(), healthOk(2, { limit: 3 }, new Date(time.now())), 'the other replica sees both requests, and trusts the key the first one used')
  const reachedAt = time.now()
  await post(second, '/observe/observables', domains('c.example'))
  t.strictSame((await post(first, '/observe/observables', domains('d.example'))).json(), fatal('too many requests', limitReached(3, 3, midnight() + DAY)), 'the limit reached in the other replica')
  t.strictSame((await post(first, '/health')).json(), healthOk(3, { limit: 3, reachedAt: iso(reachedAt) }, new Date(time.now())))
  t.equal(simulator.requests.length, 3)

  const id = createHash('sha256').update(`${simulator.url}\u0000${C1FAPP_KEY}`).digest('base64url')
  const day = iso(time.now()).slice(0, 10)
  const keys = (await redis.client.keys('c1fapp-relay:*')).sort()
  t.strictSame(keys, [`${HEALTH_KEY_PREFIX}${id}`, `${QUOTA_KEY_PREFIX}${id}:${day}`, `${QUOTA_KEY_PREFIX}${id}:${day}:reached`], 'a counter of the key hash and the day, its reached mark, the trust mark: never the key')
  t.equal(await redis.client.get(`${QUOTA_KEY_PREFIX}${id}:${day}`), '3')
  const expiry = await redis.client.pexpiretime(`${QUOTA_KEY_PREFIX}${id}:${day}`)
  t.equal(expiry, midnight() + DAY + 60_000, 'the counter expires a minute after its day')

  // a key with no request today yet: no counter in Redis
  t.strictSame((await post(second, '/health', undefined, bearer(token({ key: 'a-third-key' })))).json(), healthOk(1, { limit: 3 }, new Date(time.now())), 'its probe the first')

  // C1fApp's 429 in one replica holds the key back in the other
  const other = bearer(token({ key: 'another-users-key' }))
  simulator.script('*', { status: 429, body: QUOTA_EXCEEDED })
  const refusedAt = time.now()
  await post(first, '/observe/observables', domains('e.example'), other)
  t.strictSame((await post(second, '/observe/observables', domains('f.example'), other)).json(), fatal('too many requests', refusedBy429(1, refusedAt + 60_000, 3)))
  t.strictSame((await post(second, '/health', undefined, other)).json(), healthOk(1, { limit: 3, reachedAt: iso(refusedAt) }, new Date(time.now())))
  t.equal(simulator.requests.length, 5, 'the other replica asked nothing')
})

t.test('while Redis is down, each process counts in memory, from the last count it saw, and nothing fails', async t => {
  const redis = await startRedis(t)
  const time = handClock(Date.now())
  const { entries, logging } = logEntries()
  const { app, simulator } = await buildRelay(t, { CACHE_REDIS_URL: redis.url, C1FAPP_DAILY_LIMIT: '4', HEALTH_TRUST_S: '600', C1FAPP_QUOTA_BACKOFF_S: '60' }, logging, time.clock)
  simulator.script('*', { body: [record('a.example')] })
  await post(app, '/observe/observables', domains('a.example'))
  await redis.stop()
  t.strictSame((await post(app, '/health')).json(), healthOk(1, { limit: 4 }, new Date(time.now())), 'trusted in the process, counted as Redis last said')
  await post(app, '/observe/observables', domains('b.example', 'c.example'))
  const reachedAt = time.now()
  simulator.script('d.example', { status: 403, body: 'Invalid API key' })
  t.strictSame((await post(app, '/observe/observables', domains('d.example'))).json(), fatal('forbidden', 'Unexpected response from C1fApp: Invalid API key'))
  t.strictSame((await post(app, '/observe/observables', domains('e.example'))).json(), fatal('too many requests', limitReached(4, 4, midnight() + DAY)))
  t.strictSame((await post(app, '/health')).json(), healthOk(4, { limit: 4, reachedAt: iso(reachedAt) }, new Date(time.now())))
  const other = bearer(token({ key: 'another-users-key' }))
  simulator.script('*', { status: 429, body: QUOTA_EXCEEDED })
  t.strictSame((await post(app, '/health', undefined, other)).json(), healthOk(1, { limit: 4, reachedAt: iso(time.now()) }, new Date(time.now())), 'a probe refused with 429: ok, the bucket reached')
  t.equal(simulator.requests.length, 5)
  t.ok(entries.some(entry => entry.level === 40 && /^Redis unusable \(/.test(entry.msg)), 'the trouble is logged (once a minute)')
  t.notOk(JSON.stringify(entries).includes(C1FAPP_KEY), 'never the key')
})
