// POST /observe/observables when some of it fails (contract §2): failing observables never lose the
// others, identical errors are shown once, unusable records are skipped with a warning.
import t from 'tap'
import { buildRelay, observeBody, post } from '../helper.js'
import { phishRecord } from '../support/records.js'

t.test('one failing observable never loses the others', async t => {
  const { app, simulator } = await buildRelay(t)
  simulator.script('phish.example', { body: [phishRecord()] })
  simulator.script('down.example', { status: 503, body: 'Service Unavailable' })
  simulator.script('slow.example', { status: 404, body: 'Not Found' })
  const body = observeBody(t, await post(app, '/observe/observables', [
    { type: 'domain', value: 'down.example' },
    { type: 'domain', value: 'phish.example' },
    { type: 'domain', value: 'slow.example' }
  ]), 'observe-partial')
  t.equal(body.data.sightings.count, 1)
  t.strictSame(body.errors, [
    { type: 'fatal', code: 'unknown', message: 'Unexpected response from C1fApp: Service Unavailable' },
    { type: 'fatal', code: 'not found', message: 'Unexpected response from C1fApp: Not Found' }
  ])
})

t.test('when every observable fails, the identical errors are shown once and there is no data', async t => {
  const { app, simulator } = await buildRelay(t)
  simulator.script('*', { status: 403, body: 'Invalid API key' })
  const response = await post(app, '/observe/observables', [{ type: 'domain', value: 'a.example' }, { type: 'ip', value: '192.0.2.1' }, { type: 'url', value: 'http://a.example/' }])
  t.strictSame(observeBody(t, response, 'observe-all-failed'), { errors: [{ type: 'fatal', code: 'forbidden', message: 'Unexpected response from C1fApp: Invalid API key' }] })
  t.equal(simulator.requests.length, 3)
})

t.test('records without a usable date or feed are skipped with a warning, the rest answered', async t => {
  const { app, simulator } = await buildRelay(t)
  simulator.script('phish.example', { body: [phishRecord(), phishRecord({ reportime: [] }), 'junk', phishRecord({ feed_label: [''] })] })
  simulator.script('192.0.2.10', { body: [phishRecord()] })
  const body = observeBody(t, await post(app, '/observe/observables', [{ type: 'domain', value: 'phish.example' }, { type: 'ip', value: '192.0.2.10' }]), 'observe-skipped-records')
  t.equal(body.data.sightings.count, 2)
  t.strictSame(body.errors, [{
    type: 'warning',
    code: 'key error',
    message: 'Skipped 3 of 4 C1fApp records for domain "phish.example": each record needs a reportime date (YYYY-MM-DD) and a non-empty feed_label.'
  }])
})

t.test('the bundled data set demonstrates the skipped-record warning', async t => {
  const { app } = await buildRelay(t)
  const body = observeBody(t, await post(app, '/observe/observables', [{ type: 'domain', value: 'broken-records.example' }]), 'observe-broken-records')
  t.ok(body.data.sightings.count > 0)
  t.match(body.errors, [{ type: 'warning', code: 'key error', message: /^Skipped 2 of \d+ C1fApp records for domain "broken-records.example"/ }])
})
