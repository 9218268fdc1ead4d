// Contract §3.1 on the pure mapping: the disposition table row by row, the whitelist, several
// assessments in one record, the order of judgements, the entity limit, JUDGEMENT_VALID_DAYS, and
// the verdicts of observe and deliberate. Contract §3: strings cut to the schema's bounds.
import t from 'tap'
import { Value } from '@sinclair/typebox/value'
import { answerBytes, deliberateAnswer, observeAnswer } from '../../../lib/relay-answer.js'
import { indicatorId, mapObserveBundle } from '../../../lib/ctim/bundle.js'
import { DeliberateBundleSchema, ObserveBundleSchema, type Judgement, type ObserveBundle } from '../../../lib/schemas/ctim.js'
import type { Observable } from '../../../lib/observables.js'
import { readRecords } from '../../../lib/c1fapp/record.js'

const NOW = Date.UTC(2026, 10, 30, 3, 4, 5, 678)
const JUDGING = { now: NOW, validDays: 7 }
const WEEK = { start_time: '2026-11-30T03:04:05.678Z', end_time: '2026-12-07T03:04:05.678Z' }
const domain: Observable = { type: 'domain', value: 'phish.example' }
const ip: Observable = { type: 'ip', value: '192.0.2.7' }

function record (feed: string, reportime: string, confidence: unknown, assessment: unknown[] | undefined, source = 'https://feed.example/1'): Record<string, unknown> {
  return { feed_label: [feed], reportime: [reportime], confidence: [confidence], assessment, source: [source] }
}

function map (records: unknown[], limit = 100, judging = JUDGING) {
  const { bundle } = mapObserveBundle([{ observable: domain, records }], limit, judging)
  t.ok(Value.Check(ObserveBundleSchema, bundle), 'the bundle matches the answer schema')
  return bundle
}

const judgementsOf = (records: unknown[], limit?: number): Judgement[] => map(records, limit).judgements?.docs ?? []
const summary = ({ disposition, disposition_name: name, severity, confidence, reason }: Judgement) => ({ disposition, name, severity, confidence, reason })

const CONFIDENCES: Array<[number | string, string]> = [[95, 'High'], [50, 'Medium'], [10, 'Low'], ['n/a', 'Unknown']]

const MALICIOUS = { disposition: 2, name: 'Malicious', severity: 'High' }
const SUSPICIOUS = { disposition: 3, name: 'Suspicious', severity: 'Medium' }
const UNKNOWN_LOW = { disposition: 5, name: 'Unknown', severity: 'Low' }
const UNKNOWN = { disposition: 5, name: 'Unknown', severity: 'Unknown' }
/** Contract §3.1's table: the assessments of a row, and the outcome at High, Medium, Low and Unknown confidence. */
const TABLE: Array<[Array<string | undefined>, Array<typeof MALICIOUS>]> = [
  [['phishing', 'malware', 'botnet', 'fastflux', 'exploit', 'c2', 'Phishing', 'C2'], [MALICIOUS, SUSPICIOUS, UNKNOWN_LOW, UNKNOWN]],
  [['Spam', 'scanner', 'suspicious', 'none', 'phishing-kit', undefined], [SUSPICIOUS, SUSPICIOUS, UNKNOWN_LOW, UNKNOWN]]
]

t.test('the disposition table, row by row and column by column', async t => {
  for (const [assessments, outcomes] of TABLE) {
    for (const assessment of assessments) {
      for (const [i, [value, confidence]] of CONFIDENCES.entries()) {
        const reason = `${assessment ?? 'listed'} in feed Feed (last reported 2026-11-01)`
        t.strictSame(judgementsOf([record('Feed', '2026-11-01', value, assessment === undefined ? undefined : [assessment])]).map(summary),
          [{ ...outcomes[i], confidence, reason }], `${String(assessment)}, confidence ${confidence}`)
      }
    }
  }
})

t.test('several assessments in one record: the worst outcome, all of them in the reason', async t => {
  t.strictSame(judgementsOf([record('Mixed', '2026-11-01', 90, ['Spam', 'malware'])]).map(summary), [{
    disposition: 2, name: 'Malicious', severity: 'High', confidence: 'High', reason: 'Spam, malware in feed Mixed (last reported 2026-11-01)'
  }])
  t.strictSame(judgementsOf([record('Mixed', '2026-11-01', 20, ['Spam', 'malware'])]).map(summary), [{
    disposition: 5, name: 'Unknown', severity: 'Low', confidence: 'Low', reason: 'Spam, malware in feed Mixed (last reported 2026-11-01)'
  }], 'low confidence is Unknown whatever the assessment')
})

t.test('whitelist: a whitelisted record gives no judgement; its feed is judged from its newest other record', async t => {
  const alexa = record('Alexa', '2026-11-20', 10, ['whitelist'])
  t.strictSame(map([alexa]).judgements, undefined, 'no judgement')
  t.strictSame(map([alexa]).verdicts, undefined, 'no verdict')
  t.equal(map([alexa]).sightings!.count, 1, 'the sighting stays')
  t.strictSame(judgementsOf([record('Mixed', '2026-11-01', 95, ['phishing', 'Whitelist'])]), [], 'any whitelist assessment, any case')
  const judged = judgementsOf([alexa, record('Alexa', '2026-11-10', 90, ['phishing']), record('Alexa', '2026-11-05', 50, ['spam'])])
  t.strictSame(judged.map(summary), [{ disposition: 2, name: 'Malicious', severity: 'High', confidence: 'High', reason: 'phishing in feed Alexa (last reported 2026-11-10)' }])
})

t.test('one judgement per feed, from its newest kept record; worst first, then newest, then surest, then by feed', async t => {
  const records = [
    record('Zeta', '2026-11-01', 90, ['spam']), // 3, older
    record('Beta', '2026-11-03', 95, ['spam']), // 3, newest, High
    record('Alpha', '2026-11-03', 95, ['scanner']), // 3, newest, High: ties with Beta but for the label
    record('Gamma', '2026-11-03', 60, ['spam']), // 3, newest, Medium
    record('Unk', '2026-11-09', 10, ['phishing']), // 5
    record('Mal', '2026-10-01', 99, ['botnet']), // 2, oldest of all
    record('Mal', '2026-09-01', 10, ['botnet']) // older record of the same feed: no second judgement
  ]
  const bundle = map(records)
  t.strictSame(bundle.judgements!.docs.map(j => [j.disposition, j.reason]), [
    [2, 'botnet in feed Mal (last reported 2026-10-01)'],
    [3, 'scanner in feed Alpha (last reported 2026-11-03)'],
    [3, 'spam in feed Beta (last reported 2026-11-03)'],
    [3, 'spam in feed Gamma (last reported 2026-11-03)'],
    [3, 'spam in feed Zeta (last reported 2026-11-01)'],
    [5, 'phishing in feed Unk (last reported 2026-11-09)']
  ])
  t.strictSame(bundle.verdicts!.docs, [{
    type: 'verdict', observable: domain, disposition: 2, disposition_name: 'Malicious', valid_time: WEEK, judgement_id: bundle.judgements!.docs[0].id
  }], 'one verdict, from the first judgement')
  const elements = bundle.relationships!.docs.filter(r => r.relationship_type === 'element-of')
  t.strictSame(elements.map(r => [r.source_ref, r.target_ref]), bundle.judgements!.docs.map(j => [j.id, indicatorId(j.reason!.replace(/^.* in feed (\w+) .*$/, '$1'))]),
    'one element-of relationship per judgement, to its feed\'s indicator')
  for (const judgement of bundle.judgements!.docs) {
    t.match(judgement, { priority: 85, source: 'C1fApp', tlp: 'white', source_uri: 'https://feed.example/1', valid_time: WEEK, observable: domain, type: 'judgement' })
  }
})

t.test('judgements come from kept records only (CTR_ENTITIES_LIMIT), observable by observable in the asked order', async t => {
  const records = [record('Old', '2026-01-01', 99, ['malware']), record('New', '2026-11-01', 50, ['spam'])]
  const { bundle } = mapObserveBundle([{ observable: ip, records }, { observable: domain, records }], 1, JUDGING)
  t.strictSame(bundle.judgements!.docs.map(j => [j.observable.value, j.reason]), [
    ['192.0.2.7', 'spam in feed New (last reported 2026-11-01)'],
    ['phish.example', 'spam in feed New (last reported 2026-11-01)']
  ], 'the malware record is past the limit')
  t.strictSame(bundle.verdicts!.docs.map(v => [v.observable.value, v.disposition_name]), [['192.0.2.7', 'Suspicious'], ['phish.example', 'Suspicious']])
  const all = mapObserveBundle([{ observable: domain, records }], 2, JUDGING).bundle
  t.strictSame(all.verdicts!.docs.map(v => v.disposition_name), ['Malicious'])
})

t.test('JUDGEMENT_VALID_DAYS: valid from the call for that many days', async t => {
  const [judgement] = map([record('Feed', '2026-11-01', 95, ['phishing'])], 100, { now: NOW, validDays: 30 }).judgements!.docs
  t.strictSame(judgement.valid_time, { start_time: '2026-11-30T03:04:05.678Z', end_time: '2026-12-30T03:04:05.678Z' })
  const [one] = map([record('Feed', '2026-11-01', 95, ['phishing'])], 100, { now: Date.UTC(2028, 1, 28), validDays: 1 }).verdicts!.docs
  t.strictSame(one.valid_time, { start_time: '2028-02-28T00:00:00.000Z', end_time: '2028-02-29T00:00:00.000Z' }, 'a leap day')
})

t.test('deliberate: the verdicts observe gives, without judgement_id; errors and partial results as observe', async t => {
  const observables = [domain, ip, { type: 'url', value: 'http://x.example/' } as Observable]
  const outcomes = [
    [record('Spamhaus', '2026-11-01', 60, ['Spam']), record('Phishtank', '2026-10-01', 90, ['phishing'])],
    [record('Alexa', '2026-11-01', 5, ['whitelist'])],
    [record('Scanners', '2026-11-02', 10, ['scanner']), { feed_label: ['no date'] }]
  ]
  const options = { limit: 100, maxBytes: 5000000, ...JUDGING }
  const deliberate = deliberateAnswer(observables, outcomes.map(records => readRecords(records)), options)
  t.ok(Value.Check(DeliberateBundleSchema, deliberate.data))
  t.strictSame(deliberate, {
    data: {
      verdicts: {
        count: 2,
        docs: [
          { type: 'verdict', observable: domain, disposition: 2, disposition_name: 'Malicious', valid_time: WEEK },
          { type: 'verdict', observable: observables[2], disposition: 5, disposition_name: 'Unknown', valid_time: WEEK }
        ]
      }
    },
    errors: [{ type: 'warning', code: 'key error', message: 'Skipped 1 of 2 C1fApp records for url "http://x.example/": each record needs a reportime date (YYYY-MM-DD) and a non-empty feed_label.' }]
  })
  const observe = JSON.parse(answerBytes(observeAnswer(observables, outcomes.map(records => readRecords(records)), options).answer).toString()) as { data: ObserveBundle, errors: unknown }
  t.strictSame(observe.data.verdicts!.docs.map(({ judgement_id: id, ...verdict }) => verdict), deliberate.data!.verdicts!.docs, 'observe\'s verdicts, judgement_id aside')
  t.strictSame(observe.errors, deliberate.errors)
  t.strictSame(deliberateAnswer([domain], [readRecords([record('Alexa', '2026-11-01', 5, ['whitelist'])])], options), { data: {} }, 'no judgement, no verdict')
  t.strictSame(deliberateAnswer([], [], options), { data: {} }, 'nothing asked')
})

t.test('strings the schema bounds are cut to fit; a URL that cannot fit is left out', async t => {
  const feed = 'F'.repeat(3000)
  const longUri = `https://feed.example/${'p'.repeat(2100)}`
  const bundle = map([record(feed, '2026-11-01', 95, ['phishing', 'x'.repeat(2000)], longUri)])
  const indicator = bundle.indicators!.docs[0]
  t.equal(indicator.title, `Feed: ${'F'.repeat(1017)}…`)
  t.equal(indicator.title.length, 1024)
  t.equal(indicator.short_description, `${'F'.repeat(2047)}…`)
  t.strictSame(indicator.tags, ['phishing', `${'x'.repeat(1023)}…`])
  const judgement = bundle.judgements!.docs[0]
  t.equal(judgement.reason!.length, 1024)
  t.ok(judgement.reason!.startsWith(`phishing, ${'x'.repeat(100)}`) && judgement.reason!.endsWith('…'))
  t.notOk('source_uri' in judgement, 'the judgement has no source_uri')
  t.notOk('source_uri' in bundle.sightings!.docs[0], 'nor has the sighting')
  const edge = `https://feed.example/${'p'.repeat(2048 - 21)}`
  t.equal(map([record('Feed', '2026-11-01', 95, ['phishing'], edge)]).sightings!.docs[0].source_uri, edge, 'a URL of 2048 characters fits')
  // 1017 characters of the label fit after "Feed: ": a pair that would straddle the cut is left out whole
  const [cut] = map([record(`${'F'.repeat(1016)}😀😀`, '2026-11-01', 95, ['phishing'])]).indicators!.docs
  t.equal(cut.title, `Feed: ${'F'.repeat(1016)}…`, 'no half of a surrogate pair')
})
