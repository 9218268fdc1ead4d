// Contract §3.2: the C1fApp bytes one call holds are bounded (C1FAPP_CALL_MAX_BYTES). Past the
// budget, the observables not yet read get one `too many entities` warning instead of their
// records, and C1fApp is not asked for them: through the server, against the simulator.
import t from 'tap'
import { buildRelay, observeBody, post } from '../helper.js'
import { logEntries, startRedis } from '../support/redis.js'

const BUDGET = { C1FAPP_MAX_ANSWER_BYTES: '4096', C1FAPP_CALL_MAX_BYTES: '8192', C1FAPP_CONCURRENCY: '1' }
const VALUES = ['a', 'b', 'c', 'd', 'e'].map(name => `${name}.example`)
const observe = (values: string[]) => values.map(value => ({ type: 'domain', value }))
const asked = (simulator: { requests: Array<{ body: string }> }) => simulator.requests.map(r => JSON.parse(r.body).request)

/** C1fApp's answer for the value: one record, `size` bytes of JSON in all. */
function answerOf (value: string, size = 3000): unknown[] {
  const answer = [{ feed_label: ['Phishtank'], reportime: ['2026-10-01'], confidence: [90], assessment: ['phishing'], domain: [value], description: [''] }]
  answer[0].description = ['x'.repeat(size - Buffer.byteLength(JSON.stringify(answer)))]
  return answer
}

const notRead = (count: number, type = 'warning') => ({
  type,
  code: 'too many entities',
  message: `C1fApp's answers for this call passed 8192 bytes (C1FAPP_CALL_MAX_BYTES, a setting of the module's owner): ${count} observable${count === 1 ? ' was' : 's were'} not read.`
})

for (const chunked of [false, true]) {
  t.test(`past the budget, the observables not yet read get one warning and are not asked (${chunked ? 'chunked answers, counted as they come' : 'answers with a content-length, read whole or not at all'})`, async t => {
    const { entries, logging } = logEntries()
    const { app, simulator } = await buildRelay(t, BUDGET, logging)
    for (const value of VALUES) simulator.script(value, { body: answerOf(value), chunked })
    const body = observeBody(t, await post(app, '/observe/observables', observe(VALUES)), `observe-call-budget${chunked ? '-chunked' : ''}`)
    t.strictSame(body.data.verdicts.docs.map((verdict: any) => verdict.observable.value), VALUES.slice(0, 2), 'the two answers within 8192 bytes are mapped')
    t.strictSame(body.errors, [notRead(3)])
    t.strictSame(asked(simulator), VALUES.slice(0, 3), 'the third answer passed the budget; the last two were never asked')
    t.match(entries.filter(entry => entry.msg === 'C1fApp answers of one call passed C1FAPP_CALL_MAX_BYTES'), [{ level: 30, notRead: 3, maxBytes: 8192 }], 'logged once, at info')
    t.strictSame(entries.filter(entry => entry.msg === 'C1fApp lookup failed'), [], 'not as a failed lookup')

    simulator.reset()
    for (const value of VALUES) simulator.script(value, { body: answerOf(value), chunked })
    const next = (await post(app, '/observe/observables', observe(VALUES.slice(2, 4)))).json()
    t.equal(next.data.verdicts.count, 2, 'the budget is per call: the next call reads its own')
    t.notOk(next.errors)
  })
}

t.test('when no observable was answered, the warning is fatal; error answers count too', async t => {
  const { app, simulator } = await buildRelay(t, { ...BUDGET, C1FAPP_CALL_MAX_BYTES: '4096' })
  simulator.script('a.example', { status: 500, body: 'y'.repeat(3000) })
  simulator.script('b.example', { body: answerOf('b.example') })
  const body = (await post(app, '/observe/observables', observe(['a.example', 'b.example']))).json()
  t.strictSame(body, {
    errors: [
      { type: 'fatal', code: 'unknown', message: `Unexpected response from C1fApp: ${'y'.repeat(300)}…` },
      { ...notRead(1, 'fatal'), message: notRead(1).message.replace('8192', '4096') }
    ]
  })
})

t.test('answers read from the shared cache count too', async t => {
  const redis = await startRedis(t)
  const { app, simulator } = await buildRelay(t, { ...BUDGET, CACHE_TTL_S: '60', CACHE_REDIS_URL: redis.url })
  for (const value of VALUES) simulator.script(value, { body: answerOf(value) })
  for (const value of VALUES.slice(0, 3)) t.equal((await post(app, '/observe/observables', observe([value]))).json().data.verdicts.count, 1, `${value} asked alone: cached`)
  simulator.reset()
  for (const value of VALUES) simulator.script(value, { body: answerOf(value) })
  const body = observeBody(t, await post(app, '/observe/observables', observe(VALUES.slice(0, 4))), 'observe-call-budget-shared-cache')
  t.strictSame(body.data.verdicts.docs.map((verdict: any) => verdict.observable.value), VALUES.slice(0, 3), 'what the cache held is answered: it was in memory already')
  t.strictSame(body.errors, [notRead(1)], 'and counted: 9000 bytes are past the budget')
  t.strictSame(asked(simulator), [], 'C1fApp was not asked')
})
