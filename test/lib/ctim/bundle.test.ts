// Contract §3: C1fApp records → CTIM, rule by rule, on the pure mapping.
import t from 'tap'
import { v5 as uuidv5 } from 'uuid'
import { INDICATOR_IDS_KEPT, indicatorId, mapObserveBundle } from '../../../lib/ctim/bundle.js'
import { RELATION_ORIGIN } from '../../../lib/ctim/relations.js'
import { CTIM_SCHEMA_VERSION } from '../../../lib/ctim/vocabulary.js'
import { domain, ip, JUDGING, only, record, sightingOf, UUID } from '../../support/records.js'

t.test('a record maps to one sighting, indicator, judgement and verdict and their two relationships, exactly', async t => {
  const { bundle, warnings } = only(t, domain, [record()])
  t.same(warnings, [])
  const sighting = bundle.sightings!.docs[0]
  const indicator = bundle.indicators!.docs[0]
  const judgement = bundle.judgements!.docs[0]
  const [relationship, element] = bundle.relationships!.docs
  t.match(judgement.id, new RegExp(`^transient:judgement-${UUID}$`))
  t.match(element.id, new RegExp(`^transient:relationship-${UUID}$`))
  t.match(sighting.id, new RegExp(`^transient:sighting-${UUID}$`))
  t.match(relationship.id, new RegExp(`^transient:relationship-${UUID}$`))
  t.equal(indicator.id, indicatorId('Phishtank'))
  t.match(indicator.id, new RegExp(`^transient:indicator-${UUID}$`))
  t.strictSame(bundle, {
    sightings: {
      count: 1,
      docs: [{
        id: sighting.id,
        type: 'sighting',
        schema_version: CTIM_SCHEMA_VERSION,
        source: 'C1fApp',
        confidence: 'High',
        count: 1,
        description: 'Seen on C1fApp feed Phishtank',
        observables: [domain],
        observed_time: { start_time: '2020-04-12T00:00:00.000Z', end_time: '2020-04-12T00:00:00.000Z' },
        relations: [
          { origin: RELATION_ORIGIN, relation: 'Contains', source: { type: 'url', value: 'https://onedrive.live.com/?authkey=%21AG7' }, related: domain },
          { origin: RELATION_ORIGIN, relation: 'Resolved_To', source: domain, related: { type: 'ip', value: '13.107.42.13' } }
        ],
        source_uri: 'http://www.phishtank.com/phish_detail.php?phish_id=6200'
      }]
    },
    indicators: {
      count: 1,
      docs: [{
        id: indicator.id,
        type: 'indicator',
        schema_version: CTIM_SCHEMA_VERSION,
        producer: 'C1fApp',
        title: 'Feed: Phishtank',
        short_description: 'Phishtank',
        tags: ['phishing'],
        confidence: 'High',
        tlp: 'white',
        valid_time: {}
      }]
    },
    judgements: {
      count: 1,
      docs: [{
        id: judgement.id,
        type: 'judgement',
        schema_version: CTIM_SCHEMA_VERSION,
        observable: domain,
        disposition: 2,
        disposition_name: 'Malicious',
        severity: 'High',
        confidence: 'High',
        priority: 85,
        source: 'C1fApp',
        tlp: 'white',
        reason: 'phishing in feed Phishtank (last reported 2020-04-12)',
        valid_time: { start_time: '2026-11-30T00:00:00.000Z', end_time: '2026-12-07T00:00:00.000Z' },
        source_uri: 'http://www.phishtank.com/phish_detail.php?phish_id=6200'
      }]
    },
    verdicts: {
      count: 1,
      docs: [{
        type: 'verdict',
        observable: domain,
        disposition: 2,
        disposition_name: 'Malicious',
        valid_time: { start_time: '2026-11-30T00:00:00.000Z', end_time: '2026-12-07T00:00:00.000Z' },
        judgement_id: judgement.id
      }]
    },
    relationships: {
      count: 2,
      docs: [{
        id: relationship.id,
        type: 'relationship',
        schema_version: CTIM_SCHEMA_VERSION,
        relationship_type: 'member-of',
        source_ref: sighting.id,
        target_ref: indicator.id
      }, {
        id: element.id,
        type: 'relationship',
        schema_version: CTIM_SCHEMA_VERSION,
        relationship_type: 'element-of',
        source_ref: judgement.id,
        target_ref: indicator.id
      }]
    }
  })
  t.equal(RELATION_ORIGIN.charCodeAt(0), 67, 'the origin starts with a Latin C')
})

t.test('nothing found maps to an empty bundle', async t => {
  t.strictSame(only(t, domain, []), { bundle: {}, warnings: [] })
})

t.test('confidence: 0–25 Low, 26–79 Medium, 80–100 High, anything else Unknown', async t => {
  const cases: Array<[unknown, string]> = [
    [0, 'Low'], [25, 'Low'], ['25', 'Low'], [25.9, 'Low'], [26, 'Medium'], ['70', 'Medium'], [' 79 ', 'Medium'],
    [80, 'High'], [100, 'High'], ['100', 'High'], [101, 'Unknown'], [-1, 'Unknown'], ['high', 'Unknown'],
    ['', 'Unknown'], [null, 'Unknown'], [true, 'Unknown'], [Number.NaN, 'Unknown']
  ]
  for (const [value, expected] of cases) {
    t.equal(sightingOf(t, domain, { confidence: [value] }).confidence, expected, `confidence ${JSON.stringify(value)}`)
  }
  t.equal(sightingOf(t, domain, { confidence: undefined }).confidence, 'Unknown', 'no confidence')
  t.equal(sightingOf(t, domain, { confidence: [] }).confidence, 'Unknown', 'an empty confidence list')
  t.equal(sightingOf(t, domain, { confidence: 70 }).confidence, 'Medium', 'a lone value is read as a list of one')
})

t.test('source_uri is the longest comma-separated piece of source[0], when it is an http(s) URL', async t => {
  t.equal(sightingOf(t, domain, { source: ['https://a.example/x, https://a.example/longer,http://b.example'] }).source_uri, 'https://a.example/longer')
  t.equal(sightingOf(t, domain, { source: ['http://only.example/'] }).source_uri, 'http://only.example/')
  t.notOk('source_uri' in sightingOf(t, domain, { source: ['not a url'] }), 'not a URL')
  t.notOk('source_uri' in sightingOf(t, domain, { source: ['javascript:alert(1)'] }), 'not http(s)')
  t.notOk('source_uri' in sightingOf(t, domain, { source: undefined }), 'no source')
  t.notOk('source_uri' in sightingOf(t, domain, { source: [5] }), 'source[0] not a string')
})

t.test('indicator tags are the assessment of the record; none without it', async t => {
  const tags = (fields: Record<string, unknown>) => only(t, domain, [record(fields)]).bundle.indicators!.docs[0].tags
  t.strictSame(tags({ assessment: ['malware', 'Spam'] }), ['malware', 'Spam'])
  t.strictSame(tags({ assessment: undefined }), [])
  t.strictSame(tags({ assessment: ['', 7, 'botnet'] }), ['botnet'])
})

t.test('records sort newest first (stable) and the entity limit keeps the newest', async t => {
  const records = [
    record({ reportime: ['2020-01-01'], feed_label: ['A'] }),
    record({ reportime: ['2020-03-01'], feed_label: ['B'] }),
    record({ reportime: ['2020-02-01'], feed_label: ['C'] }),
    record({ reportime: ['2020-03-01'], feed_label: ['D'] })
  ]
  const all = only(t, domain, records).bundle
  t.strictSame(all.sightings!.docs.map(s => s.observed_time.start_time.slice(0, 10)), ['2020-03-01', '2020-03-01', '2020-02-01', '2020-01-01'])
  t.strictSame(all.indicators!.docs.map(i => i.short_description), ['B', 'D', 'C', 'A'], 'equal dates keep their order')
  const two = only(t, domain, records, 2).bundle
  t.equal(two.sightings!.count, 2)
  t.strictSame(two.indicators!.docs.map(i => i.short_description), ['B', 'D'], 'only the feeds of kept records')
  t.equal(two.relationships!.count, 4, 'a member-of per sighting, an element-of per judgement')
  t.strictSame(two.judgements!.docs.map(j => j.reason), ['phishing in feed B (last reported 2020-03-01)', 'phishing in feed D (last reported 2020-03-01)'], 'judgements of kept records only')
})

t.test('one indicator per feed, from its newest record, with a stable id; one relationship per sighting', async t => {
  const records = [
    record({ reportime: ['2020-01-01'], confidence: [10], assessment: ['Spam'] }),
    record({ reportime: ['2020-03-01'], confidence: [50], assessment: ['phishing'] }),
    record({ reportime: ['2020-02-01'], confidence: [90], feed_label: ['OpenPhish'] })
  ]
  const { bundle } = only(t, domain, records)
  t.equal(bundle.indicators!.count, 2)
  const phishtank = bundle.indicators!.docs.find(i => i.short_description === 'Phishtank')!
  t.equal(phishtank.confidence, 'Medium', 'from the newest record of the feed')
  t.strictSame(phishtank.tags, ['phishing'])
  t.equal(phishtank.id, indicatorId('Phishtank'))
  t.equal(indicatorId('Phishtank'), indicatorId('Phishtank'), 'same feed, same id')
  t.not(indicatorId('Phishtank'), indicatorId('OpenPhish'))
  const byId = new Map(bundle.sightings!.docs.map(s => [s.id, s]))
  for (const relationship of bundle.relationships!.docs.filter(r => r.relationship_type === 'member-of')) {
    const sighting = byId.get(relationship.source_ref)!
    t.ok(sighting, 'points at a sighting of the answer')
    byId.delete(relationship.source_ref)
    t.ok(bundle.indicators!.docs.some(i => i.id === relationship.target_ref), 'points at an indicator of the answer')
  }
  t.equal(byId.size, 0, 'every sighting has its relationship')
  t.equal(bundle.relationships!.docs.find(r => r.target_ref === indicatorId('OpenPhish'))!.source_ref,
    bundle.sightings!.docs.find(s => s.observed_time.start_time.startsWith('2020-02-01'))!.id)
})

t.test('a feed seen by several observables gives one indicator, from its newest record overall', async t => {
  const { bundle } = mapObserveBundle([
    { observable: domain, records: [record({ reportime: ['2020-01-01'], confidence: [10] })] },
    { observable: ip, records: [record({ reportime: ['2020-05-01'], confidence: [90] }), record({ reportime: ['2020-05-01'], confidence: [50] })] }
  ], 100, JUDGING)
  t.equal(bundle.sightings!.count, 3)
  t.equal(bundle.indicators!.count, 1)
  t.equal(bundle.indicators!.docs[0].confidence, 'High')
  t.equal(bundle.relationships!.count, 5, 'three member-of, two element-of (one judgement per observable)')
})

t.test('unusable records are skipped with one warning per observable', async t => {
  const records = [
    record(),
    'not an object',
    null,
    [record()],
    record({ reportime: undefined }),
    record({ reportime: ['2020-02-30'] }),
    record({ reportime: ['12/04/2020'] }),
    record({ reportime: [20200412] }),
    record({ feed_label: [''] }),
    record({ feed_label: ['  '] }),
    record({ feed_label: [7] }),
    record({ feed_label: undefined })
  ]
  const { bundle, warnings } = only(t, domain, records)
  t.equal(bundle.sightings!.count, 1)
  t.strictSame(warnings.map(w => w.toEnvelope()), [{
    type: 'warning',
    code: 'key error',
    message: 'Skipped 11 of 12 C1fApp records for domain "onedrive.live.com": each record needs a reportime date (YYYY-MM-DD) and a non-empty feed_label.'
  }])
  const none = only(t, ip, ['x'])
  t.strictSame(none.bundle, {}, 'all skipped: nothing found')
  t.equal(none.warnings.length, 1)
})

t.test('indicator ids stay the name-based ids of their feeds past the most indicatorId remembers', async t => {
  const expected = (feed: string): string => `transient:indicator-${uuidv5(feed, '5b0f2e59-3c5e-4d6b-9f0a-c1fa99000001')}`
  t.equal(indicatorId('Phishtank'), expected('Phishtank'))
  for (let i = 0; i <= INDICATOR_IDS_KEPT; i++) indicatorId(`Feed ${i}`)
  t.equal(indicatorId('Phishtank'), expected('Phishtank'), 'asked again after the memo started over')
  t.equal(indicatorId(`Feed ${INDICATOR_IDS_KEPT}`), expected(`Feed ${INDICATOR_IDS_KEPT}`))
})

t.test('an answer of more than 8 MB is written whole, and the next one as if it had never been', async t => {
  const many = Array.from({ length: 12_000 }, (_, i) => record({ ip_address: [`192.0.2.${i % 250}`, `198.51.100.${i % 250}`] }))
  const { bundle: large } = mapObserveBundle([{ observable: domain, records: many }], many.length, JUDGING)
  t.equal(large.sightings?.count, many.length)
  t.ok(Buffer.byteLength(JSON.stringify(large.sightings)) > 8 * 1024 * 1024, 'past the bytes the writers keep')
  t.equal(large.relationships?.count, many.length + 1)
  const { bundle: small } = mapObserveBundle([{ observable: domain, records: [record()] }], 100, JUDGING)
  t.equal(small.sightings?.count, 1)
  t.strictSame(small.relationships?.docs.map(doc => doc.relationship_type), ['member-of', 'element-of'])
})
