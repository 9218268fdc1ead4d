// /deliberate/observables (contract §3.1): the same body and lookups as observe, verdicts only,
// errors and partial results as observe, and one C1fApp call for a deliberate then an observe.
import t, { type Test } from 'tap'
import { Value } from '@sinclair/typebox/value'
import { DeliberateBundleSchema } from '../../lib/schemas/ctim.js'
import { Envelope } from '../../lib/schemas/envelope.js'
import { DEMO_OBSERVABLES } from '../../simulator/dataset.js'
import { buildRelay, fatal, observeBody, post, saveAnswer } from '../helper.js'

const DeliberateAnswerSchema = Envelope(DeliberateBundleSchema)
const DAY_MS = 24 * 3600 * 1000

function record (feed: string, reportime: string, confidence: number, assessment: string[]) {
  return { feed_label: [feed], reportime: [reportime], confidence: [confidence], assessment, source: ['https://feed.example/1'], domain: [''], ip_address: [''] }
}

/** A deliberate answer, checked against the route's schema and saved for .ci/run's conformance check. */
function deliberateBody (t: Test, response: { statusCode: number, json: () => any }, name: string): any {
  t.equal(response.statusCode, 200, `${name}: HTTP 200`)
  const body = response.json()
  t.ok(Value.Check(DeliberateAnswerSchema, body), `${name}: the answer matches the answer schema`)
  saveAnswer('deliberate', name, body)
  return body
}

t.test('verdicts only, one per judged observable, in the asked order, valid from the call', async t => {
  const { app, simulator } = await buildRelay(t, { JUDGEMENT_VALID_DAYS: '3' })
  simulator.script('phish.example', { body: [record('Spamhaus', '2026-11-02', 60, ['Spam']), record('Phishtank', '2026-11-01', 95, ['phishing'])] })
  simulator.script('192.0.2.7', { body: [record('Alexa', '2026-11-02', 5, ['whitelist'])] })
  simulator.script('scanner.example', { body: [record('Scanners', '2026-11-02', 10, ['scanner'])] })
  const before = Date.now()
  const body = deliberateBody(t, await post(app, '/deliberate/observables', [
    { type: 'domain', value: 'scanner.example' }, { type: 'ip', value: '192.0.2.7' }, { type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e' }, { type: 'domain', value: 'phish.example' }
  ]), 'deliberate-verdicts')
  const after = Date.now()
  const validTime = body.data.verdicts.docs[0].valid_time
  const start = Date.parse(validTime.start_time)
  t.ok(start >= before && start <= after, 'from the time of the call')
  t.equal(Date.parse(validTime.end_time) - start, 3 * DAY_MS, 'for JUDGEMENT_VALID_DAYS')
  t.strictSame(body, {
    data: {
      verdicts: {
        count: 2,
        docs: [
          { type: 'verdict', observable: { type: 'domain', value: 'scanner.example' }, disposition: 5, disposition_name: 'Unknown', valid_time: validTime },
          { type: 'verdict', observable: { type: 'domain', value: 'phish.example' }, disposition: 2, disposition_name: 'Malicious', valid_time: validTime }
        ]
      }
    }
  })
  t.strictSame(simulator.requests.map(request => JSON.parse(request.body).request), ['scanner.example', '192.0.2.7', 'phish.example'], 'the md5 is not looked up')
})

t.test('nothing judged is {"data":{}}; errors and partial results exactly as observe', async t => {
  const { app, simulator } = await buildRelay(t)
  t.strictSame(deliberateBody(t, await post(app, '/deliberate/observables', [{ type: 'domain', value: 'never-seen.example' }]), 'deliberate-nothing'), { data: {} })
  t.strictSame(deliberateBody(t, await post(app, '/deliberate/observables', []), 'deliberate-empty'), { data: {} })
  simulator.script('down.example', { status: 401, body: 'Invalid API key' })
  simulator.script('good.example', { body: [record('Phishtank', '2026-11-01', 95, ['phishing']), { feed_label: ['undated'] }] })
  const observables = [{ type: 'domain', value: 'down.example' }, { type: 'domain', value: 'good.example' }]
  const deliberate = deliberateBody(t, await post(app, '/deliberate/observables', observables), 'deliberate-partial')
  const observe = observeBody(t, await post(app, '/observe/observables', observables), 'observe-partial')
  t.equal(deliberate.errors.length, 2)
  t.strictSame(deliberate.errors, observe.errors, 'the same errors as observe')
  t.strictSame(deliberate.data.verdicts.docs.map((v: any) => v.disposition_name), ['Malicious'])
  const failed = deliberateBody(t, await post(app, '/deliberate/observables', [observables[0]]), 'deliberate-failed')
  t.strictSame(failed, { errors: observe.errors.slice(0, 1) }, 'every observable failed: the errors alone')
  const requests = simulator.requests.length
  t.strictSame((await post(app, '/deliberate/observables', [{ type: 'domain' }])).json(),
    fatal('invalid argument', "Invalid JSON payload received. body/0 must have required property 'value'."))
  t.equal(simulator.requests.length, requests, 'a bad body queries nothing')
})

t.test('the demo data set: deliberate agrees with observe', async t => {
  const { app } = await buildRelay(t)
  const deliberate = deliberateBody(t, await post(app, '/deliberate/observables', DEMO_OBSERVABLES), 'deliberate-demo-observables')
  const observe = observeBody(t, await post(app, '/observe/observables', DEMO_OBSERVABLES), 'observe-demo-verdicts')
  const strip = (verdicts: any[]) => verdicts.map(({ judgement_id: id, valid_time: time, ...verdict }) => verdict)
  t.strictSame(strip(deliberate.data.verdicts.docs), strip(observe.data.verdicts.docs))
  t.strictSame(deliberate.data.verdicts.docs.map((v: any) => v.disposition_name), ['Malicious', 'Malicious', 'Malicious', 'Suspicious', 'Unknown'])
})

t.test('a deliberate then an observe of the same value cost one C1fApp call (the shared cache)', async t => {
  const { app, simulator } = await buildRelay(t, { CACHE_TTL_S: '600' })
  simulator.script('*', { body: [record('Phishtank', '2026-11-01', 95, ['phishing'])] })
  const observables = [{ type: 'domain', value: 'phish.example' }, { type: 'url', value: 'http://phish.example/login' }]
  const deliberate = deliberateBody(t, await post(app, '/deliberate/observables', observables), 'deliberate-cached')
  t.equal(simulator.requests.length, 2)
  const observe = observeBody(t, await post(app, '/observe/observables', observables), 'observe-cached')
  t.equal(simulator.requests.length, 2, 'observe asked C1fApp nothing more')
  t.equal(observe.data.verdicts.count, deliberate.data.verdicts.count)
  await post(app, '/deliberate/observables', observables)
  t.equal(simulator.requests.length, 2, 'nor did a second deliberate')
})
