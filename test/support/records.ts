// The contract's sample C1fApp record (§2.1) and the pure mapping of it, as the mapping tests use them.
import { Value } from '@sinclair/typebox/value'
import { mapObserveBundle } from '../../lib/ctim/bundle.js'
import type { Observable } from '../../lib/observables.js'
import { ObserveBundleSchema, type Sighting } from '../../lib/schemas/ctim.js'

/** What the helpers need of a tap test. */
interface Test { ok: (value: any, ...rest: any[]) => boolean }

export const JUDGING = { now: Date.UTC(2026, 10, 30), validDays: 7 }
export const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'

/** Contract §2.1's record, with `fields` replaced. */
export function record (fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    feed_label: ['Phishtank'],
    domain: ['onedrive.live.com'],
    description: ['Microsoft'],
    derived: 'direct',
    address: ['https://onedrive.live.com/?authkey=%21AG7'],
    ip_address: ['13.107.42.13'],
    asn: ['-'],
    confidence: [95],
    country: ['US'],
    reportime: ['2020-04-12'],
    source: ['http://www.phishtank.com/phish_detail.php?phish_id=62,http://www.phishtank.com/phish_detail.php?phish_id=6200'],
    asn_desc: ['-'],
    assessment: ['phishing'],
    ...fields
  }
}

export const domain: Observable = { type: 'domain', value: 'onedrive.live.com' }
export const ip: Observable = { type: 'ip', value: '13.107.42.13' }
export const url: Observable = { type: 'url', value: 'https://onedrive.live.com/?authkey=%21AG7' }

/** The mapping of one observable's records, checked against the answer schema. */
export function only (t: Test, observable: Observable, records: unknown[], limit = 100) {
  const mapped = mapObserveBundle([{ observable, records }], limit, JUDGING)
  t.ok(Value.Check(ObserveBundleSchema, mapped.bundle), 'the bundle matches the answer schema')
  return mapped
}

/** The one sighting of one record. */
export function sightingOf (t: Test, observable: Observable, fields: Record<string, unknown> = {}): Sighting {
  const { bundle } = only(t, observable, [record(fields)])
  return bundle.sightings!.docs[0]
}

/** A record of the demo's phishing domain, as the route tests script it on the simulator, with `fields` replaced. */
export function phishRecord (fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    feed_label: ['Phishtank'],
    domain: ['phish.example'],
    description: ['test'],
    derived: 'direct',
    address: ['https://phish.example/login'],
    ip_address: ['192.0.2.10'],
    asn: ['-'],
    confidence: ['70'],
    country: ['US'],
    reportime: ['2026-10-01'],
    source: ['http://www.phishtank.com/phish_detail.php?phish_id=1'],
    asn_desc: ['-'],
    assessment: ['phishing'],
    ...fields
  }
}
