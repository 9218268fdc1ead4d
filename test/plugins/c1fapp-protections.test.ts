// The C1fApp client's protections (issues "hard to break" and "fast"): retries where safe, one
// deadline per call, a cap on what is read, a per-key circuit breaker, and the answer cache.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildRelay, fatal, healthOk, observeBody, post, token, bearer } from '../helper.js'

const record = (feed = 'Phishtank') => ({ feed_label: [feed], reportime: ['2026-10-01'], confidence: [90], domain: ['a.example'] })
const observe = (value = 'a.example') => [{ type: 'domain', value }]
const asked = (simulator: { requests: Array<{ body: string }> }) => simulator.requests.map(r => JSON.parse(r.body).request)

t.test('retries: connection errors and 5xx are retried, then answered', async t => {
  const { app, simulator } = await buildRelay(t, { C1FAPP_RETRIES: '2' })
  simulator.script('a.example', [{ status: 503, body: 'busy' }, { drop: 'before-headers' }, { body: [record()] }])
  const body = observeBody(t, await post(app, '/observe/observables', observe()), 'observe-after-retries')
  t.equal(body.data.sightings.count, 1)
  t.notOk(body.errors)
  t.equal(simulator.requests.length, 3, 'two retries')
})

t.test('retries stop at C1FAPP_RETRIES and the last answer is the error', async t => {
  const { app, simulator } = await buildRelay(t, { C1FAPP_RETRIES: '1' })
  simulator.script('*', { status: 502, body: 'Bad Gateway' })
  t.strictSame((await post(app, '/health')).json(), fatal('unknown', 'Unexpected response from C1fApp: Bad Gateway'))
  t.equal(simulator.requests.length, 2)
})

t.test('4xx and 429 are never retried', async t => {
  const { app, simulator } = await buildRelay(t, { C1FAPP_RETRIES: '3' })
  for (const [status, code] of [[400, 'invalid argument'], [403, 'forbidden'], [404, 'not found']] as const) {
    simulator.reset()
    simulator.script('*', { status, body: 'no' })
    t.strictSame((await post(app, '/health')).json(), fatal(code, 'Unexpected response from C1fApp: no'), `HTTP ${status}`)
    t.equal(simulator.requests.length, 1, `HTTP ${status}: asked once`)
  }
  simulator.reset()
  simulator.script('*', { status: 429, body: 'no' })
  t.match((await post(app, '/observe/observables', observe())).json(), { errors: [{ type: 'fatal', code: 'too many requests' }] }, 'HTTP 429: the daily quota (test/plugins/quota.test.ts)')
  t.equal(simulator.requests.length, 1, 'HTTP 429: asked once')
})

t.test('one deadline per call: retries end when it would pass', async t => {
  const { app, simulator } = await buildRelay(t, { C1FAPP_RETRIES: '5', C1FAPP_DEADLINE_MS: '600', C1FAPP_TIMEOUT_MS: '5000' })
  simulator.script('*', { status: 500, body: 'down', delayMs: 250 })
  const started = Date.now()
  const answer = (await post(app, '/observe/observables', observe())).json()
  t.ok(Date.now() - started < 2000, 'answered within the deadline, not after six attempts')
  t.ok(simulator.requests.length < 6, `asked ${simulator.requests.length} times, not 6`)
  t.match(answer, { errors: [{ type: 'fatal' }] })
})

t.test('no retry waits past the deadline: the last answer is given instead', async t => {
  const { app, simulator } = await buildRelay(t, { C1FAPP_RETRIES: '5', C1FAPP_DEADLINE_MS: '700' })
  simulator.script('*', { status: 500, body: 'down' })
  t.strictSame((await post(app, '/health')).json(), fatal('unknown', 'Unexpected response from C1fApp: down'))
  t.ok(simulator.requests.length >= 2 && simulator.requests.length < 6, `asked ${simulator.requests.length} times: retried, but not 6 times`)
})

t.test('the deadline answers for a slow C1fApp, and for values still queued when it passes', async t => {
  const { app, simulator } = await buildRelay(t, { C1FAPP_DEADLINE_MS: '500', C1FAPP_TIMEOUT_MS: '5000', C1FAPP_CONCURRENCY: '1' })
  simulator.script('*', { delayMs: 1500, body: [] })
  const message = "Unable to connect to C1fApp: no answer within the relay's deadline of 500 ms (C1FAPP_DEADLINE_MS, a setting of the module's owner)"
  t.strictSame((await post(app, '/observe/observables', [...observe('a.example'), ...observe('b.example')])).json(), fatal('connection error', message))
  t.strictSame(asked(simulator), ['a.example'], 'b.example was never sent: its turn came after the deadline')
  t.strictSame((await post(app, '/health')).json(), fatal('connection error', message), '/health has the same deadline')
})

t.test('an answer larger than C1FAPP_MAX_ANSWER_BYTES is refused, not buffered', async t => {
  const { app, simulator } = await buildRelay(t, { C1FAPP_MAX_ANSWER_BYTES: '4096' })
  simulator.script('big.example', { body: Array.from({ length: 200 }, () => record()) })
  simulator.script('small.example', { body: [record()] })
  const body = observeBody(t, await post(app, '/observe/observables', [...observe('big.example'), ...observe('small.example')]), 'observe-too-large')
  t.equal(body.data.sightings.count, 1, 'the other observable is answered')
  t.strictSame(body.errors, [{ type: 'fatal', code: 'unknown', message: "C1fApp's answer is larger than 4096 bytes (C1FAPP_MAX_ANSWER_BYTES, a setting of the module's owner); it was not read" }])
})

t.test('an answer without a content-length is cut off once it passes C1FAPP_MAX_ANSWER_BYTES', async t => {
  const { app, simulator } = await buildRelay(t, { C1FAPP_MAX_ANSWER_BYTES: '4096' })
  simulator.script('big.example', { body: Array.from({ length: 200 }, () => record()), chunked: true })
  simulator.script('small.example', { body: [record()], chunked: true })
  const body = (await post(app, '/observe/observables', [...observe('big.example'), ...observe('small.example')])).json()
  t.equal(body.data.sightings.count, 1, 'the other observable, also sent chunked, is answered')
  t.strictSame(body.errors, [{ type: 'fatal', code: 'unknown', message: "C1fApp's answer is larger than 4096 bytes (C1FAPP_MAX_ANSWER_BYTES, a setting of the module's owner); it was not read" }])
})

t.test('circuit breaker: repeated trouble pauses one key, not the others', async t => {
  const { app, simulator } = await buildRelay(t, { C1FAPP_BREAKER_FAILURES: '2', C1FAPP_BREAKER_COOLDOWN_S: '1' })
  simulator.script('*', { status: 503, body: 'Service Unavailable' })
  for (let i = 0; i < 2; i++) {
    t.strictSame((await post(app, '/health')).json(), fatal('unknown', 'Unexpected response from C1fApp: Service Unavailable'))
  }
  t.equal(simulator.requests.length, 2)
  const paused = (await post(app, '/observe/observables', observe())).json()
  t.match(paused, { errors: [{ type: 'fatal', code: 'unknown', message: /^Unexpected response from C1fApp: Service Unavailable \(2 failures in a row: C1fApp seems to be down or unreachable; the relay asks C1fApp again in 1 s\)$/ }] })
  t.equal(simulator.requests.length, 2, 'C1fApp was not asked while paused')
  simulator.script('*', { body: [] })
  t.strictSame((await post(app, '/health', undefined, bearer(token({ key: 'another-users-key' })))).json(), healthOk(1), 'another key is not paused')
  await sleep(1100)
  t.strictSame((await post(app, '/health')).json(), healthOk(3), 'asked again after the cooldown (a paused lookup made no request)')
})

t.test('circuit breaker: 5xx and connection errors count, answers reset the count', async t => {
  const { app, simulator } = await buildRelay(t, { C1FAPP_BREAKER_FAILURES: '2', C1FAPP_BREAKER_COOLDOWN_S: '60' })
  simulator.script('*', [{ status: 500, body: 'oops' }, { status: 403, body: 'Invalid API key' }, { status: 500, body: 'oops' }, { drop: 'before-headers' }])
  await post(app, '/health')
  await post(app, '/health')
  await post(app, '/health')
  t.equal(simulator.requests.length, 3, 'a 403 in between reset the count')
  t.strictSame((await post(app, '/health')).json(), fatal('connection error', 'Unable to connect to C1fApp: the connection was reset (ECONNRESET)'), 'the second failure in a row')
  t.strictSame((await post(app, '/health')).json(), fatal('connection error',
    'Unable to connect to C1fApp: the connection was reset (ECONNRESET) (2 failures in a row: C1fApp seems to be down or unreachable; the relay asks C1fApp again in 60 s)'))
  t.equal(simulator.requests.length, 4, 'paused: not asked')
})

t.test('cache: the same key and value are asked once; another key, or another value, again', async t => {
  const { app, simulator } = await buildRelay(t, { CACHE_TTL_S: '60' })
  simulator.script('*', { body: [record()] })
  const first = (await post(app, '/observe/observables', observe())).json()
  const second = (await post(app, '/observe/observables', observe())).json()
  t.equal(simulator.requests.length, 1)
  t.equal(second.data.sightings.count, 1)
  t.strictSame(second.data.sightings, first.data.sightings, 'the sightings written for the first answer, kept with the entry')
  await post(app, '/observe/observables', observe(), bearer(token({ key: 'another-users-key' })))
  await post(app, '/observe/observables', observe('b.example'))
  t.strictSame(asked(simulator), ['a.example', 'a.example', 'b.example'])
  t.strictSame(simulator.requests.map(r => JSON.parse(r.body).key), ['demo-c1fapp-key-0000000000000000', 'another-users-key', 'demo-c1fapp-key-0000000000000000'], "one user's answer never serves another")
})

t.test('cache: what a call writes from kept records is kept with them, per observable type; judgements are the call\'s', async t => {
  const { app, simulator } = await buildRelay(t, { CACHE_TTL_S: '60' })
  const records = Array.from({ length: 3 }, (_, i) => ({ ...record(`Feed ${i}`), reportime: [`2026-10-0${i + 1}`], ip_address: ['192.0.2.1'] }))
  simulator.script('*', { body: records })
  const call = async (observables: unknown) => (await post(app, '/observe/observables', observables)).json()
  const first = await call(observe())
  const again = await call(observe())
  const memberOf = (answer: any) => answer.data.relationships.docs.filter((r: any) => r.relationship_type === 'member-of')
  t.strictSame(again.data.sightings, first.data.sightings, 'the same sightings')
  t.strictSame(memberOf(again), memberOf(first), 'the same member-of relationships')
  t.not(again.data.judgements.docs[0].id, first.data.judgements.docs[0].id, 'judgements are written for each call')
  t.not(again.data.judgements.docs[0].valid_time, undefined)

  // one answer of C1fApp, two observables: each its own sightings, relations and ids
  const both = await call([{ type: 'domain', value: 'a.example' }, { type: 'ip', value: 'a.example' }])
  const [domainSighting, ipSighting] = [both.data.sightings.docs[0], both.data.sightings.docs[3]]
  t.strictSame(domainSighting, first.data.sightings.docs[0], 'the domain\'s, as before')
  t.strictSame(ipSighting.observables, [{ type: 'ip', value: 'a.example' }])
  t.equal(new Set(both.data.sightings.docs.map((doc: any) => doc.id)).size, 6, 'ids unique within the answer')
  t.equal(new Set(both.data.relationships.docs.map((doc: any) => doc.id)).size, both.data.relationships.count)
  t.equal(simulator.requests.length, 1, 'all from the one kept answer')
})

t.test('without a cache every call writes its answer anew', async t => {
  const { app, simulator } = await buildRelay(t, { CACHE_TTL_S: '0' })
  simulator.script('*', { body: [record()] })
  const first = (await post(app, '/observe/observables', observe())).json()
  const second = (await post(app, '/observe/observables', observe())).json()
  t.not(first.data.sightings.docs[0].id, second.data.sightings.docs[0].id, 'new sighting ids')
  t.equal(simulator.requests.length, 2)
})

t.test('cache: nothing found is cached, errors are not, /health never reads it', async t => {
  const { app, simulator } = await buildRelay(t, { CACHE_TTL_S: '60' })
  simulator.script('none.example', { body: [] })
  simulator.script('fails.example', [{ status: 503, body: 'busy' }, { body: [record()] }])
  t.strictSame((await post(app, '/observe/observables', observe('none.example'))).json(), { data: {} })
  t.strictSame((await post(app, '/observe/observables', observe('none.example'))).json(), { data: {} })
  t.match((await post(app, '/observe/observables', observe('fails.example'))).json(), { errors: [{ code: 'unknown' }] })
  t.equal((await post(app, '/observe/observables', observe('fails.example'))).json().data.sightings.count, 1, 'the error was not kept')
  await post(app, '/health')
  await post(app, '/health')
  t.strictSame(asked(simulator), ['none.example', 'fails.example', 'fails.example', 'test.com', 'test.com'])
})

t.test('cache: identical queries in flight share one upstream request', async t => {
  const { app, simulator } = await buildRelay(t, { CACHE_TTL_S: '60' })
  simulator.script('*', { delayMs: 300, body: [record()] })
  const answers = await Promise.all([1, 2, 3].map(() => post(app, '/observe/observables', observe())))
  t.strictSame(answers.map(a => a.json().data.sightings.count), [1, 1, 1])
  t.equal(simulator.requests.length, 1)
})

t.test('cache: entries expire after CACHE_TTL_S seconds; an answer larger than CACHE_MAX_MB is not kept', async t => {
  let now = Date.UTC(2026, 10, 30, 12)
  const { app, simulator } = await buildRelay(t, { CACHE_TTL_S: '60', CACHE_MAX_MB: '1' }, false, () => now)
  simulator.script('a.example', { body: [record()] })
  simulator.script('huge.example', { body: Array.from({ length: 9000 }, () => ({ ...record(), description: ['x'.repeat(100)] })) })
  await post(app, '/observe/observables', observe())
  now += 59_999
  await post(app, '/observe/observables', observe())
  t.equal(simulator.requests.length, 1, 'kept for CACHE_TTL_S seconds: not yet expired a millisecond before')
  now += 2
  await post(app, '/observe/observables', observe())
  t.equal(simulator.requests.length, 2, 'asked again after the TTL')
  await post(app, '/observe/observables', observe('huge.example'))
  await post(app, '/observe/observables', observe('huge.example'))
  t.strictSame(asked(simulator).slice(2), ['huge.example', 'huge.example'])
})

t.test('cache: an answer still in flight when the cache evicts its entry reaches the call all the same', async t => {
  // Six answers of about 300 KB against a 1 MB cache: storing the fourth evicts the oldest entries,
  // which are the two still waiting for C1fApp. Their calls must get their answers, not an abort.
  const { app, simulator } = await buildRelay(t, { CACHE_TTL_S: '60', CACHE_MAX_MB: '1' })
  const values = ['a.example', 'b.example', 'c.example', 'd.example', 'e.example', 'f.example']
  const records = (value: string) => Array.from({ length: 1400 }, () => ({ ...record(value), domain: [value], description: ['x'.repeat(100)] }))
  for (const [i, value] of values.entries()) simulator.script(value, { delayMs: i < 4 ? 100 + 50 * i : 600 + 50 * i, body: records(value) })
  const answer = (await post(app, '/observe/observables', values.flatMap(value => observe(value)))).json()
  t.notOk(answer.errors, 'no observable failed')
  t.equal(answer.data.sightings.count, 6 * 100, 'every observable has its 100 sightings (CTR_ENTITIES_LIMIT)')
  t.strictSame(asked(simulator), values, 'each asked once')
})
