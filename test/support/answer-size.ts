// What the answer-size tests share (test/plugins/answer-size.test.ts through the server,
// test/lambda.test.ts through the Lambda handler): C1fApp answers too big for ANSWER_MAX_BYTES and
// the checks of a cut answer (contract §3.2).
import type { Test } from 'tap'

export const MAX = 100000
export const OBSERVABLES = ['a', 'b', 'c', 'd', 'e'].map(name => ({ type: 'domain', value: `${name}.example` }))

/** 100 records a value over four feeds, one a day, newest last (the relay sorts them). */
export function records (count = 100): unknown[] {
  return Array.from({ length: count }, (_, i) => ({
    feed_label: [['Phishtank', 'OpenPhish', 'URLhaus', 'Spamhaus'][i % 4]],
    reportime: [new Date(Date.UTC(2026, 7, 1) + i * 86400000).toISOString().slice(0, 10)],
    confidence: [60 + (i % 40)],
    assessment: [['phishing', 'phishing', 'malware', 'Spam'][i % 4]],
    source: [`https://feed.example/report/${i}`],
    domain: ['x.example'],
    ip_address: ['192.0.2.1', '192.0.2.2'],
    address: [`http://x.example/${i}`]
  }))
}

export function cutWarning (kept: number, max = MAX) {
  return {
    type: 'warning' as const,
    code: 'too many entities',
    message: `The answer would be larger than ${max} bytes (ANSWER_MAX_BYTES, a setting of the module's owner): only the newest ${kept} ` +
      `sighting${kept === 1 ? '' : 's'} of each observable ${kept === 1 ? 'is' : 'are'} kept, with their indicators, judgements, verdicts and relationships.`
  }
}

export function leftOutWarning (leftOut: number, max = MAX) {
  return {
    type: 'warning' as const,
    code: 'too many entities',
    message: `The answer would be larger than ${max} bytes (ANSWER_MAX_BYTES, a setting of the module's owner) even with one sighting of each observable: ` +
      `the last ${leftOut} observable${leftOut === 1 ? '' : 's'} asked ${leftOut === 1 ? 'is' : 'are'} left out, and only the newest sighting ` +
      'of each other observable is kept, with their indicators, judgements, verdicts and relationships.'
  }
}

/** Every observable kept `kept` sightings, its newest, and every reference points into the answer. */
export function checkCut (t: Test, body: any, kept: number, observables = OBSERVABLES): void {
  const { data } = body
  for (const { value } of observables) {
    const times = data.sightings.docs.filter((s: any) => s.observables[0].value === value).map((s: any) => s.observed_time.start_time)
    t.equal(times.length, kept, `${value}: ${kept} sightings`)
    t.equal(times[0], '2026-11-08T00:00:00.000Z', `${value}: the newest first`)
  }
  const ids = new Set(['sightings', 'indicators', 'judgements'].flatMap(list => data[list].docs.map((doc: any) => doc.id)))
  for (const relationship of data.relationships.docs) t.ok(ids.has(relationship.source_ref) && ids.has(relationship.target_ref), 'a relationship of kept entities')
  t.equal(data.relationships.count, data.sightings.count + data.judgements.count)
  t.equal(data.indicators.count, Math.min(kept, 4), 'indicators of the kept sightings\' feeds only')
  t.equal(data.verdicts.count, observables.length)
  for (const verdict of data.verdicts.docs) t.ok(ids.has(verdict.judgement_id), 'a verdict of a kept judgement')
}
