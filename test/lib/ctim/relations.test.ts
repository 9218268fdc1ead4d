// Contract §3 Relations: how names compare (case, trailing dot, Unicode against punycode), url
// observables without a scheme, and the caps on IPs and domains per record, with exact relations.
import t from 'tap'
import fc from 'fast-check'
import { domainKey, isDate, isHttpUrl, MAX_RECORD_DOMAINS, MAX_RECORD_IPS, readRecord } from '../../../lib/c1fapp/record.js'
import { mapObserveBundle } from '../../../lib/ctim/bundle.js'
import { urlHost } from '../../../lib/ctim/relations.js'
import type { Observable } from '../../../lib/observables.js'

const JUDGING = { now: Date.UTC(2026, 10, 30), validDays: 7 }

function record (fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    feed_label: ['Phishtank'],
    domain: [],
    address: ['http://bücher.example/login'],
    ip_address: [],
    confidence: [95],
    reportime: ['2026-10-01'],
    source: ['http://www.phishtank.com/phish_detail.php?phish_id=1'],
    assessment: ['phishing'],
    ...fields
  }
}

/** [source type, source value, relation, related type, related value] of the one sighting */
function relations (observable: Observable, fields: Record<string, unknown>): string[][] {
  const { bundle } = mapObserveBundle([{ observable, records: [record(fields)] }], 100, JUDGING)
  return bundle.sightings!.docs[0].relations.map(r => [r.source.type, r.source.value, r.relation, r.related.type, r.related.value])
}

t.test('domain names compare in one form: case, a trailing dot and punycode make no difference', async t => {
  t.equal(domainKey('Bücher.Example'), 'xn--bcher-kva.example')
  t.equal(domainKey('XN--BCHER-KVA.example.'), 'xn--bcher-kva.example')
  t.equal(domainKey('bücher.example.'), 'xn--bcher-kva.example')
  t.equal(domainKey('Evil.Example.NET.'), 'evil.example.net')
  t.equal(domainKey('bü cher.Example'), 'bü cher.example', 'a name IDNA refuses compares without case')
  t.equal(domainKey('.'), '')
})

t.test('url observable: Contains the record domains that are its host or a parent, in any form', async t => {
  const idn: Observable = { type: 'url', value: 'http://bücher.example/login' }
  t.strictSame(relations(idn, { domain: ['bücher.example', 'xn--bcher-kva.example', 'BÜCHER.example.', 'example', 'other.example'], ip_address: ['192.0.2.1'] }), [
    ['url', idn.value, 'Hosted_By', 'ip', '192.0.2.1'],
    ['url', idn.value, 'Contains', 'domain', 'bücher.example']
  ], 'the Unicode name, once: its punycode and upper-case forms are the same name')
  const puny: Observable = { type: 'url', value: 'https://xn--bcher-kva.example/login' }
  t.strictSame(relations(puny, { domain: ['shop.bücher.example', 'bücher.example'] }), [
    ['url', puny.value, 'Contains', 'domain', 'bücher.example']
  ], 'a punycode URL contains the Unicode name; a subdomain of the host is not contained')
  const dotted: Observable = { type: 'url', value: 'http://evil.example.net./x' }
  t.strictSame(relations(dotted, { domain: ['evil.example.net', 'example.net.', 'net.', 'net'] }), [
    ['url', dotted.value, 'Contains', 'domain', 'evil.example.net'],
    ['url', dotted.value, 'Contains', 'domain', 'example.net.']
  ], 'a trailing dot on either side makes no difference; never a bare TLD')
})

t.test('url observable without a scheme: its host is read as if http:// stood in front', async t => {
  const bare: Observable = { type: 'url', value: 'a.b.example.com/login.php' }
  t.strictSame(relations(bare, { domain: ['a.b.example.com', 'example.com', 'com', 'b.example.org'] }), [
    ['url', bare.value, 'Contains', 'domain', 'a.b.example.com'],
    ['url', bare.value, 'Contains', 'domain', 'example.com']
  ])
  const withPort: Observable = { type: 'url', value: 'shop.example.com:8080/pay' }
  t.strictSame(relations(withPort, { domain: ['example.com'] }), [
    ['url', withPort.value, 'Contains', 'domain', 'example.com']
  ], 'host:port is no scheme')
  t.equal(urlHost('Bücher.example/x'), 'xn--bcher-kva.example')
  t.equal(urlHost('HTTP://A.Example./'), 'a.example')
  t.equal(urlHost('mailto:someone@example.com'), undefined, 'another scheme: no host')
  t.equal(urlHost('ftp://example.com/'), undefined, 'another scheme: no host')
  t.equal(urlHost('not a url'), undefined, 'nothing a URL parser reads')
  t.strictSame(relations({ type: 'url', value: 'mailto:someone@example.com' }, { domain: ['example.com'] }), [])
})

t.test('domain observable: address[0] Contains it when domain[0] is the observable, in any form', async t => {
  const idn: Observable = { type: 'domain', value: 'bücher.example' }
  t.strictSame(relations(idn, { domain: ['xn--bcher-kva.example'], address: ['http://xn--bcher-kva.example/login'], ip_address: ['192.0.2.1'] }), [
    ['url', 'http://xn--bcher-kva.example/login', 'Contains', 'domain', 'bücher.example'],
    ['domain', 'bücher.example', 'Resolved_To', 'ip', '192.0.2.1']
  ])
  const dotted: Observable = { type: 'domain', value: 'Evil.Example.NET.' }
  t.strictSame(relations(dotted, { domain: ['evil.example.net'], address: ['http://evil.example.net/x'] }), [
    ['url', 'http://evil.example.net/x', 'Contains', 'domain', 'Evil.Example.NET.']
  ])
  t.strictSame(relations(dotted, { domain: ['', ' ', 'evil.example.net'], address: ['http://evil.example.net/x'] }), [
    ['url', 'http://evil.example.net/x', 'Contains', 'domain', 'Evil.Example.NET.']
  ], 'domain[0] is the first non-empty domain')
  t.strictSame(relations(dotted, { domain: ['example.net'], address: ['http://evil.example.net/x'] }), [], 'a parent is not the observable')
  t.strictSame(relations(dotted, { domain: [], address: ['http://evil.example.net/x'] }), [], 'no domain[0]')
})

t.test('ip observable: every domain other than the observable, compared in one form, once', async t => {
  const ip: Observable = { type: 'ip', value: '192.0.2.1' }
  t.strictSame(relations(ip, { domain: ['192.0.2.1.', 'bücher.example', 'xn--bcher-kva.example', ' a.example ', 'A.EXAMPLE.', 'b.example'] }), [
    ['domain', 'bücher.example', 'Resolved_To', 'ip', '192.0.2.1'],
    ['domain', 'a.example', 'Resolved_To', 'ip', '192.0.2.1'],
    ['domain', 'b.example', 'Resolved_To', 'ip', '192.0.2.1']
  ])
})

t.test('isHttpUrl answers as the URL parser does, without parsing where the scheme decides', async t => {
  const cases: Array<[unknown, boolean]> = [
    ['http://a.example/', true], ['HTTPS://A.example', true], ['http:a.example', true], ['https://[::1]/', true],
    ['\u0001http://a.example/', true], [' http://a.example/', true], ['ht\ttp://a.example/', true], ['http\n://a.example/', true],
    ['http://exa mple/', false], ['http://1.2.3.999/', false], ['ftp://a.example/', false], ['javascript:alert(1)', false],
    ['a.example/login', false], ['', false], [' ftp://a.example/', false], [5, false], [undefined, false]
  ]
  for (const [value, expected] of cases) t.equal(isHttpUrl(value), expected, JSON.stringify(value))
  const reference = (value: string): boolean => {
    try {
      return ['http:', 'https:'].includes(new URL(value).protocol)
    } catch {
      return false
    }
  }
  const piece = fc.constantFrom('http', 'https', 'HTTP', 'ftp', ':', '//', '/', '\t', '\n', ' ', '\u0001', 'a.example', '[::1]', '%', '@', '1.2.3.999', 'ü', '\\')
  fc.assert(fc.property(fc.array(piece, { maxLength: 8 }).map(pieces => pieces.join('')), value => isHttpUrl(value) === reference(value)), { numRuns: 3000 })
})

t.test(`a record's relations use its first ${MAX_RECORD_IPS} distinct IPs and ${MAX_RECORD_DOMAINS} distinct domains`, async t => {
  const ips = Array.from({ length: 150 }, (_, i) => `10.0.${Math.floor(i / 250)}.${i % 250}`)
  const domains = Array.from({ length: 130 }, (_, i) => `d${i}.example`)
  const read = readRecord(record({ ip_address: [...ips, ...ips, ''], domain: [...domains, 'D0.example.'] }))!
  t.strictSame(read.ips, ips.slice(0, 100))
  t.strictSame(read.domains, domains.slice(0, 100))
  t.strictSame(read.leftOut, { ips: 50, domains: 30 }, 'repeats are not counted')
  t.notOk('leftOut' in readRecord(record({ ip_address: ips.slice(0, 100), domain: '192.0.2.1' }))!, 'nothing left out at the cap')
  t.strictSame(readRecord(record({ domain: 'lone.example' }))!.domains, ['lone.example'], 'a lone value is read as a list of one')

  const observable: Observable = { type: 'domain', value: 'd0.example' }
  const { bundle, warnings } = mapObserveBundle([{ observable, records: [record({ ip_address: ips, domain: domains, address: ['http://d0.example/'] })] }], 100, JUDGING)
  t.strictSame(bundle.sightings!.docs[0].relations.map(r => [r.source.value, r.relation, r.related.value]), [
    ['http://d0.example/', 'Contains', 'd0.example'],
    ...ips.slice(0, 100).map(ip => ['d0.example', 'Resolved_To', ip])
  ])
  t.strictSame(warnings.map(w => w.toEnvelope()), [{
    type: 'warning',
    code: 'key error',
    message: 'Left out 50 IPs of C1fApp records for domain "d0.example": a record\'s relations use at most its first 100 distinct IPs and 100 distinct domains.'
  }])
})

t.test('the warning counts what the observable\'s relations would have used, in the kept records, once per observable', async t => {
  const ips = (count: number) => Array.from({ length: count }, (_, i) => `10.1.${Math.floor(i / 250)}.${i % 250}`)
  const domains = (count: number) => Array.from({ length: count }, (_, i) => `d${i}.example`)
  const { warnings } = mapObserveBundle([
    {
      observable: { type: 'ip', value: '192.0.2.1' },
      records: [record({ ip_address: ips(150), domain: domains(101) }), record({ domain: domains(100) }), record({ reportime: ['2026-01-01'], domain: domains(200) })]
    },
    { observable: { type: 'url', value: 'http://d0.example/' }, records: [record({ ip_address: ips(102), domain: domains(130) }), record({ address: ['not a url'], ip_address: ips(200) })] },
    { observable: { type: 'url', value: 'mailto:x@d0.example' }, records: [record({ ip_address: ips(101), domain: domains(130) })] },
    { observable: { type: 'domain', value: 'd0.example' }, records: [record({ domain: domains(150), ip_address: ips(100) })] }
  ], 2, JUDGING)
  const rule = ': a record\'s relations use at most its first 100 distinct IPs and 100 distinct domains.'
  t.strictSame(warnings.map(w => w.message), [
    `Left out 1 domain of C1fApp records for ip "192.0.2.1"${rule}`,
    `Left out 2 IPs and 30 domains of C1fApp records for url "http://d0.example/"${rule}`,
    `Left out 1 IP of C1fApp records for url "mailto:x@d0.example"${rule}`
  ], 'an ip observable relates no IPs, a record past the entity limit or without an http(s) address[0] none, a url without a host no domains, a domain observable only domain[0]')
})

t.test('dates: the century rule of leap years', async t => {
  const dates = ['1900-02-29', '2000-02-29', '2024-02-29', '2023-02-29']
  const { bundle, warnings } = mapObserveBundle([{ observable: { type: 'domain', value: 'a.example' }, records: dates.map(date => record({ reportime: [date] })) }], 100, JUDGING)
  t.strictSame(bundle.sightings!.docs.map(s => s.observed_time.start_time), ['2024-02-29T00:00:00.000Z', '2000-02-29T00:00:00.000Z'])
  t.strictSame(warnings.map(w => w.message), ['Skipped 2 of 4 C1fApp records for domain "a.example": each record needs a reportime date (YYYY-MM-DD) and a non-empty feed_label.'])
})

t.test('dates: every other boundary of a calendar day', async t => {
  const cases: Array<[string, boolean]> = [
    ['0099-12-31', false], ['0100-01-01', true], ['2020-00-10', false], ['2020-13-01', false], ['2020-12-31', true],
    ['2020-01-00', false], ['2020-01-31', true], ['2020-04-31', false], ['2020-04-30', true], ['2020-1-01', false]
  ]
  for (const [value, expected] of cases) t.equal(isDate(value), expected, value)
})
