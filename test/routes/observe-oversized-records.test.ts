// Issue 24, item 1 (contract §3.2): records made of huge strings or lists are answered within
// ANSWER_MAX_BYTES, and the relay's memory stays bounded while it reads them. Through the server,
// against the simulator, with the default limits: a record of 2 000 000 one-letter assessments
// (8 MB of C1fApp's JSON), one whose ip_address is 7 000 000 characters, and ten such observables in
// one call (70 MB, past C1FAPP_CALL_MAX_BYTES).
import t, { type Test } from 'tap'
import { conformanceProblems } from '../support/ctim-conformance.js'
import { phishRecord } from '../support/records.js'
import { buildRelay, observeBody, post } from '../helper.js'

const ANSWER_MAX_BYTES = 5_000_000
const CALL_MAX_BYTES = 33_554_432
/** what the relay may grow by while it answers one of these calls: before the bounds, 440 MB for the assessments and 429 MB for the ten */
const RSS_GROWTH_MAX = 128 * 1024 * 1024
const LETTERS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ']

/** a call before the one measured: what every call loads is loaded */
const WARM_UP = { type: 'ip', value: '192.0.2.200' }

/** C1fApp's answer of one record, encoded once: the simulator sends these very bytes to every request. */
const answerOf = (fields: Record<string, unknown>): Buffer => Buffer.from(JSON.stringify([phishRecord(fields)]))

/** The observe answer for `observables`, and how much the process' resident memory grew meanwhile (its peak, sampled). */
async function observeMeasured (app: Parameters<typeof post>[0], observables: unknown[]) {
  await post(app, '/observe/observables', [WARM_UP])
  const before = process.memoryUsage.rss()
  let peak = before
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()) }, 1)
  try {
    const response = await post(app, '/observe/observables', observables)
    peak = Math.max(peak, process.memoryUsage.rss())
    return { response, growth: peak - before }
  } finally {
    clearInterval(sampler)
  }
}

function checkAnswer (t: Test, response: Awaited<ReturnType<typeof post>>, name: string, growth: number): any {
  t.ok(response.rawPayload.length <= ANSWER_MAX_BYTES, `${name}: ${response.rawPayload.length} bytes, within ANSWER_MAX_BYTES`)
  const body = observeBody(t, response, name)
  t.strictSame(conformanceProblems(body), [], `${name}: Threat Response's schema holds`)
  t.ok(growth < RSS_GROWTH_MAX, `${name}: the resident memory grew by ${(growth / 1048576).toFixed(1)} MB`)
  return body
}

t.test('a record of 2 000 000 one-letter assessments: its first 32 distinct ones are its tags', async t => {
  const { app, simulator } = await buildRelay(t)
  const assessment = Array.from({ length: 2_000_000 }, (_, i) => LETTERS[i % LETTERS.length])
  const answer = answerOf({ assessment })
  t.ok(answer.length > 8_000_000, `C1fApp's answer: ${answer.length} bytes`)
  simulator.script('phish.example', { body: answer })
  const { response, growth } = await observeMeasured(app, [{ type: 'domain', value: 'phish.example' }])
  const body = checkAnswer(t, response, 'observe-oversized-assessments', growth)
  t.notOk(body.errors, 'nothing to warn about: the record is read within its bounds')
  t.equal(body.data.sightings.count, 1)
  t.strictSame(body.data.indicators.docs[0].tags, LETTERS.slice(0, 32))
  t.equal(body.data.judgements.docs[0].reason, `${LETTERS.slice(0, 32).join(', ')} in feed Phishtank (last reported 2026-10-01)`)
})

t.test('a record whose ip_address is 7 000 000 characters: no relation from it', async t => {
  const { app, simulator } = await buildRelay(t)
  simulator.script('phish.example', { body: answerOf({ ip_address: ['1'.repeat(7_000_000)] }) })
  const { response, growth } = await observeMeasured(app, [{ type: 'domain', value: 'phish.example' }])
  const body = checkAnswer(t, response, 'observe-oversized-ip-address', growth)
  t.notOk(body.errors)
  t.strictSame(body.data.sightings.docs[0].relations, [{
    origin: 'C1fApp Enrichment Module',
    relation: 'Contains',
    source: { type: 'url', value: 'https://phish.example/login' },
    related: { type: 'domain', value: 'phish.example' }
  }], 'the address still relates; the ip_address does not')
})

t.test('ten such observables in one call: read up to C1FAPP_CALL_MAX_BYTES, the others warned about', async t => {
  const { app, simulator } = await buildRelay(t)
  const answer = answerOf({ domain: [''], ip_address: ['1'.repeat(7_000_000)] })
  simulator.script('*', { body: answer })
  const observables = Array.from({ length: 10 }, (_, i) => ({ type: 'domain', value: `d${i}.example` }))
  const { response, growth } = await observeMeasured(app, observables)
  const body = checkAnswer(t, response, 'observe-oversized-ten', growth)
  const read = Math.floor(CALL_MAX_BYTES / answer.length)
  t.equal(read, 4, `${answer.length} bytes each: four fit the budget`)
  t.equal(body.data.sightings.count, read)
  t.equal(body.data.verdicts.count, read)
  t.strictSame(body.errors, [{
    type: 'warning',
    code: 'too many entities',
    message: `C1fApp's answers for this call passed ${CALL_MAX_BYTES} bytes (C1FAPP_CALL_MAX_BYTES, a setting of the module's owner): ${10 - read} observables were not read.`
  }])
  const asked = simulator.requests.map(request => JSON.parse(request.body).request).filter(value => value !== WARM_UP.value)
  t.equal(asked.length, 10, 'all asked at once (C1FAPP_CONCURRENCY): the answers past the budget were not read')
})
