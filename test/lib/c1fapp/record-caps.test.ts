// Contract §3 Relations, issue 15: a C1fApp record with 20 000 IPs is answered with the capped
// relations and a warning, and the relay keeps answering other calls meanwhile. Real sockets on
// both sides: the simulator, and the relay listening on a free loopback port.
import t from 'tap'
import { Value } from '@sinclair/typebox/value'
import { Envelope } from '../../../lib/schemas/envelope.js'
import { ObserveBundleSchema } from '../../../lib/schemas/ctim.js'
import { bearer, buildRelay, saveAnswer } from '../../helper.js'
import { isHostName, MAX_ADDRESS_LENGTH, MAX_DOMAIN_LENGTH, MAX_RECORD_ASSESSMENTS, readRecord } from '../../../lib/c1fapp/record.js'
import { record } from '../../support/records.js'

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

t.test('what one record can weigh is bounded before it is mapped (contract §3.2)', async t => {
  t.equal(MAX_RECORD_ASSESSMENTS, 32)
  const letters = Array.from({ length: 40 }, (_, i) => String.fromCharCode(0x41 + i))
  const many = Array.from({ length: 200_000 }, (_, i) => letters[i % 40])
  t.strictSame(readRecord(record({ assessment: [' phishing ', 'phishing', '', 5, ...many] }))!.assessment, ['phishing', ...letters.slice(0, 31)],
    'the first 32 distinct assessments, trimmed; repeats, blanks and non-strings are not counted')
  t.strictSame(readRecord(record({ assessment: 'Spam' }))!.assessment, ['Spam'], 'a lone value is read as a list of one')
  t.strictSame(readRecord(record({ assessment: null }))!.assessment, [])

  const ips = readRecord(record({ ip_address: ['192.0.2.1', ' 2001:db8::1 ', 'fe80::1%eth0', 5, '999.1.1.1', 'phish.example', '1'.repeat(7_000_000), '192.0.2.1'] }))!
  t.strictSame(ips.ips, ['192.0.2.1', '2001:db8::1', 'fe80::1%eth0'], 'only IP addresses relate')
  t.notOk('leftOut' in ips, 'what is no IP address is not counted as left out')

  const label = 'a'.repeat(63)
  const longest = [label, label, label, 'b'.repeat(61)].join('.')
  t.equal(longest.length, MAX_DOMAIN_LENGTH)
  const domains = readRecord(record({ domain: [longest, `${longest}.`, `c${longest}`, 'bücher.example', 'xn--bcher-kva.example', 'Bücher.example.', '_dmarc.example', 'example', 'a..b', 'a b.example', 'http://x.example/', `${'a'.repeat(64)}.example`, 'x'.repeat(7_000_000)] }))!
  t.strictSame(domains.domains, [longest, 'bücher.example', '_dmarc.example', 'example'], 'only host names of at most 253 characters (a trailing dot aside), compared in one form')
  t.notOk(isHostName(`${'ü'.repeat(60)}.${'ü'.repeat(60)}.${'ü'.repeat(60)}.${'ü'.repeat(60)}`), 'a Unicode name whose punycode form is over 253 characters')
  t.notOk(isHostName('ü..example'), 'a Unicode name that has no punycode form')

  const address = `https://phish.example/${'p'.repeat(MAX_ADDRESS_LENGTH - 22)}`
  t.equal(address.length, MAX_ADDRESS_LENGTH)
  t.equal(readRecord(record({ address: [` ${address} `] }))!.address, address, 'an address of 2 048 characters')
  t.notOk('address' in readRecord(record({ address: [`${address}p`] }))!, 'a longer one gives no relation')
  t.equal(readRecord(record({ source: [`${address},https://x.example/1`] }))!.sourceUri, address, 'a source of 2 048 characters')
  t.notOk('sourceUri' in readRecord(record({ source: [`${address}p,https://x.example/1`] }))!, 'a longer one is left out: it would not fit the schema')
})
