// Contract §3.3: with `per-feed`, one sighting per observable and feed of its kept records, on the
// pure mapping, rule by rule; the rest of the bundle as with `each`.
import t, { type Test } from 'tap'
import { Value } from '@sinclair/typebox/value'
import { indicatorId, mapObserveBundle, sightingDescription } from '../../../lib/ctim/bundle.js'
import { RELATION_ORIGIN } from '../../../lib/ctim/relations.js'
import { MAX_RECORD_DOMAINS, MAX_RECORD_IPS } from '../../../lib/c1fapp/record.js'
import { CTIM_SCHEMA_VERSION } from '../../../lib/ctim/vocabulary.js'
import type { Observable } from '../../../lib/observables.js'
import { ObserveBundleSchema } from '../../../lib/schemas/ctim.js'
import { conformanceProblems } from '../../support/ctim-conformance.js'
import { domain, ip, JUDGING, record, url } from '../../support/records.js'

function perFeed (t: Test, observable: Observable, records: unknown[], limit = 100) {
  const mapped = mapObserveBundle([{ observable, records }], limit, { ...JUDGING, sightings: 'per-feed' })
  t.ok(Value.Check(ObserveBundleSchema, mapped.bundle), 'the bundle matches the answer schema')
  t.strictSame(conformanceProblems({ data: mapped.bundle }), [], "Threat Response's schema")
  return mapped
}

const resolved = (value: string) => ({ origin: RELATION_ORIGIN, relation: 'Resolved_To', source: domain, related: { type: 'ip', value } })
const contains = (value: string) => ({ origin: RELATION_ORIGIN, relation: 'Contains', source: { type: 'url', value }, related: domain })

t.test("a feed's records make one sighting, exactly", async t => {
  const records = [
    record({ reportime: ['2020-04-10'], confidence: [10], ip_address: ['192.0.2.1', '192.0.2.2'], source: ['https://feed.example/old'] }),
    // the newest, without a source: the sighting has no source_uri
    record({ reportime: ['2020-04-12'], confidence: ['50'], ip_address: ['192.0.2.2'], source: undefined }),
    record({ reportime: ['2020-03-01'], confidence: [95], ip_address: ['192.0.2.3', '192.0.2.1'], address: ['https://onedrive.live.com/other'] }),
    record({ reportime: ['2020-04-11'], feed_label: ['OpenPhish'], confidence: ['x'], ip_address: [''] })
  ]
  const { bundle, warnings } = perFeed(t, domain, records)
  t.strictSame(warnings, [])
  const [phishtank, openphish] = bundle.sightings!.docs
  t.strictSame(bundle.sightings!.docs.map(({ id: _id, ...sighting }) => sighting), [{
    type: 'sighting',
    schema_version: CTIM_SCHEMA_VERSION,
    source: 'C1fApp',
    confidence: 'High',
    count: 3,
    description: 'Seen 3 times on C1fApp feed Phishtank',
    observables: [domain],
    observed_time: { start_time: '2020-03-01T00:00:00.000Z', end_time: '2020-04-12T23:59:59.999Z' },
    relations: [
      contains('https://onedrive.live.com/?authkey=%21AG7'),
      resolved('192.0.2.2'),
      resolved('192.0.2.1'),
      contains('https://onedrive.live.com/other'),
      resolved('192.0.2.3')
    ]
  }, {
    type: 'sighting',
    schema_version: CTIM_SCHEMA_VERSION,
    source: 'C1fApp',
    confidence: 'Unknown',
    count: 1,
    description: 'Seen on C1fApp feed OpenPhish',
    observables: [domain],
    observed_time: { start_time: '2020-04-11T00:00:00.000Z', end_time: '2020-04-11T23:59:59.999Z' },
    relations: [contains('https://onedrive.live.com/?authkey=%21AG7')],
    source_uri: 'http://www.phishtank.com/phish_detail.php?phish_id=6200'
  }], 'the feed of the newest record first; source_uri the newest record\'s')
  const memberOf = bundle.relationships!.docs.filter(r => r.relationship_type === 'member-of')
  t.strictSame(memberOf.map(r => [r.source_ref, r.target_ref]), [[phishtank.id, indicatorId('Phishtank')], [openphish.id, indicatorId('OpenPhish')]])

  const each = mapObserveBundle([{ observable: domain, records }], 100, JUDGING).bundle
  t.equal(each.sightings!.count, 4, 'each: a sighting per record')
  const { sightings: _a, relationships: eachRelationships, judgements: eachJudgements, verdicts: eachVerdicts, ...eachRest } = each
  const { sightings: _b, relationships, judgements, verdicts, ...rest } = bundle
  t.strictSame(rest, eachRest, 'the same indicators')
  const withoutIds = (list: any) => list.docs.map(({ id: _id, judgement_id: _j, ...doc }: any) => doc)
  t.strictSame(withoutIds(judgements), withoutIds(eachJudgements), 'the same judgements')
  t.strictSame(withoutIds(verdicts), withoutIds(eachVerdicts), 'the same verdicts')
  t.equal(relationships!.count - memberOf.length, eachRelationships!.count - 4, 'the same element-of relationships')
})

t.test('relations: the union, domains compared as C1fApp names them, no relation twice', async t => {
  const records = [
    record({ reportime: ['2020-04-12'], domain: ['Evil.Example.'], ip_address: [] }),
    record({ reportime: ['2020-04-11'], domain: ['evil.example', 'xn--bcher-kva.example'], ip_address: [] }),
    record({ reportime: ['2020-04-10'], domain: ['bücher.example', 'other.example'], ip_address: [] })
  ]
  const { bundle } = perFeed(t, ip, records)
  t.strictSame(bundle.sightings!.docs[0].relations.map(r => r.source.value), ['Evil.Example.', 'xn--bcher-kva.example', 'other.example'])
})

t.test('the caps of one record hold for the union: a warning counts what they left out', async t => {
  const ips = (from: number, count: number) => Array.from({ length: count }, (_, i) => `10.0.${Math.floor((from + i) / 256)}.${(from + i) % 256}`)
  const domains = (from: number, count: number) => Array.from({ length: count }, (_, i) => `d${from + i}.example`)
  const records = [
    record({ reportime: ['2020-04-12'], ip_address: ips(0, MAX_RECORD_IPS) }),
    record({ reportime: ['2020-04-11'], ip_address: ips(50, MAX_RECORD_IPS) }),
    record({ reportime: ['2020-04-10'], ip_address: ips(0, 10), feed_label: ['Other'] })
  ]
  const { bundle, warnings } = perFeed(t, domain, records)
  const [phishtank, other] = bundle.sightings!.docs
  t.strictSame(phishtank.relations.filter(r => r.relation === 'Resolved_To').map(r => r.related.value), ips(0, MAX_RECORD_IPS), 'the newest records\' first')
  t.equal(other.relations.length, 11, 'each feed its own union')
  t.strictSame(warnings.map(w => w.toEnvelope()), [{
    type: 'warning',
    code: 'key error',
    message: `Left out 50 IPs of C1fApp records for domain "onedrive.live.com": a record's relations use at most its first ${MAX_RECORD_IPS} distinct IPs and ${MAX_RECORD_DOMAINS} distinct domains, ` +
      "and a feed's sighting as many of its records' together, the newest first."
  }])
  t.strictSame(mapObserveBundle([{ observable: domain, records }], 100, JUDGING).warnings, [], 'each: no record past its caps')

  const ipRecords = [
    record({ reportime: ['2020-04-12'], domain: domains(0, MAX_RECORD_DOMAINS) }),
    record({ reportime: ['2020-04-11'], domain: [...domains(MAX_RECORD_DOMAINS, MAX_RECORD_DOMAINS), ...domains(0, 1), 'x.example'] })
  ]
  const byIp = perFeed(t, ip, ipRecords)
  t.equal(byIp.bundle.sightings!.docs[0].relations.length, MAX_RECORD_DOMAINS)
  t.match(byIp.warnings[0].message, /^Left out 102 domains of C1fApp records for ip "13\.107\.42\.13": /, 'one domain past its record\'s cap, 101 past the union\'s')

  const urlRecords = [
    record({ reportime: ['2020-04-12'], ip_address: ips(0, 60), domain: ['onedrive.live.com'] }),
    record({ reportime: ['2020-04-11'], ip_address: ips(60, 60), domain: ['live.com'] })
  ]
  const byUrl = perFeed(t, url, urlRecords)
  t.strictSame(byUrl.bundle.sightings!.docs[0].relations.filter(r => r.relation === 'Contains').map(r => r.related.value), ['onedrive.live.com', 'live.com'])
  t.match(byUrl.warnings[0].message, /^Left out 20 IPs of C1fApp records for url /)
})

t.test('CTR_ENTITIES_LIMIT bounds the records the sightings are made of', async t => {
  const records = [1, 2, 3, 4, 5].map(day => record({ reportime: [`2020-04-0${day}`], feed_label: [day % 2 === 0 ? 'Even' : 'Odd'] }))
  const { bundle } = perFeed(t, domain, records, 3)
  t.strictSame(bundle.sightings!.docs.map(s => [s.description, s.observed_time]), [
    ['Seen 2 times on C1fApp feed Odd', { start_time: '2020-04-03T00:00:00.000Z', end_time: '2020-04-05T23:59:59.999Z' }],
    ['Seen on C1fApp feed Even', { start_time: '2020-04-04T00:00:00.000Z', end_time: '2020-04-04T23:59:59.999Z' }]
  ])
})

t.test("the description holds the feed's label, cut to the schema's 5 000 characters", async t => {
  t.equal(sightingDescription('Phishtank', 1), 'Seen on C1fApp feed Phishtank')
  t.equal(sightingDescription('Phishtank', 2), 'Seen 2 times on C1fApp feed Phishtank')
  const long = 'F'.repeat(6000)
  const { bundle } = perFeed(t, domain, [record({ feed_label: [long] }), record({ feed_label: [long] })])
  const { description } = bundle.sightings!.docs[0]
  t.equal(description.length, 5000)
  t.ok(description.startsWith('Seen 2 times on C1fApp feed FFF') && description.endsWith('F…'))
  const each = mapObserveBundle([{ observable: domain, records: [record({ feed_label: [`"quoted"\u0000${long}`] })] }], 100, JUDGING).bundle
  t.equal(each.sightings!.docs[0].description, `Seen on C1fApp feed "quoted"\u0000${long}`.slice(0, 4999) + '…', 'each too, escaped as JSON')
})
