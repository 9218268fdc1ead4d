// Contract §3 Relations, issue 15: a C1fApp record with 20 000 IPs is answered with the capped
// relations and a warning, and the relay keeps answering other calls meanwhile. Real sockets on
// both sides: the simulator, and the relay listening on a free loopback port.
import t from 'tap'
import { Value } from '@sinclair/typebox/value'
import { Envelope } from '../../../lib/schemas/envelope.js'
import { ObserveBundleSchema } from '../../../lib/schemas/ctim.js'
import { bearer, buildRelay, saveAnswer } from '../../helper.js'

const IPS = Array.from({ length: 20000 }, (_, i) => `10.${Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}`)

t.test('a record of 20 000 IPs: its first 100 relations and a warning, while /watchdog keeps answering', async t => {
  const { app, simulator } = await buildRelay(t)
  simulator.script('phish.example', {
    body: [{
      feed_label: ['Phishtank'],
      domain: ['phish.example'],
      address: ['https://phish.example/login'],
      ip_address: IPS,
      confidence: ['90'],
      reportime: ['2026-10-01'],
      source: ['http://www.phishtank.com/phish_detail.php?phish_id=1'],
      assessment: ['phishing']
    }]
  })
  const base = await app.listen({ port: 0, host: '127.0.0.1' })

  const call = { answered: false }
  const observe = fetch(`${base}/observe/observables`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer() },
    body: JSON.stringify([{ type: 'domain', value: 'phish.example' }])
  }).finally(() => { call.answered = true })
  const watchdogs: unknown[] = []
  while (!call.answered) {
    const response = await fetch(`${base}/watchdog`, { headers: { 'health-check': `ping-${watchdogs.length}` } })
    watchdogs.push([response.status, await response.json()])
  }
  t.ok(watchdogs.length > 0, 'asked /watchdog while the observe call was in flight')
  t.strictSame(watchdogs, watchdogs.map((_, i) => [200, { data: `ping-${i}` }]), 'every /watchdog call answered')

  const response = await observe
  t.equal(response.status, 200)
  const body: any = await response.json()
  t.ok(Value.Check(Envelope(ObserveBundleSchema), body), 'the answer matches the answer schema')
  saveAnswer('observe', 'observe-capped-relations', body)
  const domain = { type: 'domain', value: 'phish.example' }
  t.strictSame(body.data.sightings.docs[0].relations, [
    { origin: 'C1fApp Enrichment Module', relation: 'Contains', source: { type: 'url', value: 'https://phish.example/login' }, related: domain },
    ...IPS.slice(0, 100).map(ip => ({ origin: 'C1fApp Enrichment Module', relation: 'Resolved_To', source: domain, related: { type: 'ip', value: ip } }))
  ])
  t.strictSame(body.errors, [{
    type: 'warning',
    code: 'key error',
    message: 'Left out 19900 IPs of C1fApp records for domain "phish.example": a record\'s relations use at most its first 100 distinct IPs and 100 distinct domains.'
  }])
  t.equal(simulator.requests.length, 1)
})
