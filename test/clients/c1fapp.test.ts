// clients/c1fapp.ts on its own, without Fastify: the factory a test (or another entry) can use,
// against the simulator over a real socket, with and without a cache and metrics.
import t from 'tap'
import type { FastifyBaseLogger } from 'fastify'
import { createAnswerCache } from '../../clients/answer-cache.js'
import { createC1fAppClient } from '../../clients/c1fapp.js'
import { readConfig } from '../../lib/config.js'
import { dayOf } from '../../lib/quota.js'
import { RelayError } from '../../lib/relay-error.js'
import { DEMO_OBSERVABLES } from '../../simulator/dataset.js'
import { DEMO_API_KEY, startSimulator } from '../../simulator/server.js'
import { SECRET_KEY } from '../helper.js'

/** A logger that keeps what is logged at warn (the client logs nothing else). */
function warnings (): { lines: unknown[], log: FastifyBaseLogger } {
  const lines: unknown[] = []
  const log = { warn: (fields: unknown, message: string) => { lines.push([fields, message]) } }
  return { lines, log: log as unknown as FastifyBaseLogger }
}

t.test('without cache or metrics: each call asks C1fApp, failures come back in place and are logged', async t => {
  const simulator = await startSimulator()
  t.teardown(() => simulator.close())
  const { config } = readConfig({ SECRET_KEY, C1FAPP_API_URL: simulator.url, CACHE_TTL_S: '0', C1FAPP_RETRIES: '0' })
  const { lines, log } = warnings()
  const client = createC1fAppClient(config, log)
  t.teardown(() => client.close())
  const [domain] = DEMO_OBSERVABLES
  const { start, end } = dayOf(Date.now())
  t.strictSame(await client.health(DEMO_API_KEY, undefined, domain.value), {
    bucket_unit: 'day',
    current_bucket_consumption: 1,
    current_bucket_start_time: new Date(start).toISOString(),
    current_bucket_end_time: new Date(end).toISOString(),
    current_bucket_limit_reached: false
  }, 'health: the quota, after one request')
  t.equal((await client.health(DEMO_API_KEY, undefined, domain.value)).current_bucket_consumption, 1, 'health again within HEALTH_TRUST_S: no request')
  const [held] = await client.lookupEach(DEMO_API_KEY, [DEMO_OBSERVABLES[1]], log, 1)
  t.match(held, { code: 'too many requests', message: /^C1fApp's daily limit of 1 requests for this key is reached \(1 made today\)/ }, 'a daily limit of 1: held back')
  t.equal(simulator.requests.length, 1, 'C1fApp asked once so far')
  const outcomes = await client.lookupEach('a-wrong-key', [domain], log)
  t.ok(outcomes[0] instanceof RelayError, 'a wrong key: a RelayError in place')
  t.match(lines, [[{ code: 'too many requests', held: 1 }, 'C1fApp lookups held back by the daily quota'], [{ code: 'forbidden', observableType: 'domain' }, 'C1fApp lookup failed']])
  await client.lookupEach(DEMO_API_KEY, [domain, domain], log)
  t.equal(simulator.requests.length, 3, 'one request per lookup, the same value twice once')
})

t.test('with the in-process cache and counting metrics: the second lookup is a hit', async t => {
  const simulator = await startSimulator()
  t.teardown(() => simulator.close())
  const { config } = readConfig({ SECRET_KEY, C1FAPP_API_URL: simulator.url })
  const { log } = warnings()
  const counted: string[] = []
  const cache = createAnswerCache(config, { cacheHit: kind => counted.push(`hit ${kind}`), cacheMiss: kind => counted.push(`miss ${kind}`), cacheError: kind => counted.push(`error ${kind}`) })
  let breakers: (() => number) | undefined
  const metrics = { c1fappRequest: (outcome: string) => counted.push(outcome), watchOpenBreakers: (count: () => number) => { breakers = count }, quotaHeld: () => {}, healthUnprobed: () => {} }
  const client = createC1fAppClient(config, log, { cache, metrics })
  t.teardown(() => client.close())
  const [domain] = DEMO_OBSERVABLES
  const [first] = await client.lookupEach(DEMO_API_KEY, [domain], log)
  const [second] = await client.lookupEach(DEMO_API_KEY, [domain], log)
  t.strictSame(second, first, 'the same records')
  t.strictSame(counted, ['miss memory', 'records', 'hit memory'])
  t.equal(simulator.requests.length, 1)
  t.equal(breakers?.(), 0, 'no breaker open')
})

t.test('without metrics: a lookup the quota holds back and a /health check at the limit count nowhere', async t => {
  const simulator = await startSimulator()
  t.teardown(() => simulator.close())
  const { config } = readConfig({ SECRET_KEY, C1FAPP_API_URL: simulator.url, CACHE_TTL_S: '0' })
  const { log } = warnings()
  const client = createC1fAppClient(config, log)
  t.teardown(() => client.close())
  const [domain] = DEMO_OBSERVABLES
  await client.health(DEMO_API_KEY, 1, domain.value)
  const [held] = await client.lookupEach(DEMO_API_KEY, [domain], log, 1)
  t.match(held, { code: 'too many requests' }, 'the day\'s one request spent: held back')
  t.match(await client.health(DEMO_API_KEY, 1, domain.value), { current_bucket_consumption: 1, current_bucket_limit_reached: true }, 'at the limit: no probe')
  t.equal(simulator.requests.length, 1, 'C1fApp was asked once')
})
