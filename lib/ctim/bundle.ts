// C1fApp records → the CTIM observe bundle (contract §3). Data in, data out: no I/O, no clock.
import { randomUUID } from 'node:crypto'
import { v5 as uuidv5 } from 'uuid'
import { readRecord, type C1fAppRecord } from '../c1fapp-record.js'
import type { Observable } from '../observables.js'
import { RelayError } from '../relay-error.js'
import { observedRelations, relationsCutWarning } from './relations.js'
import {
  CTIM_SCHEMA_VERSION,
  type Indicator, type ObserveBundle, type Relationship, type Sighting
} from './schemas.js'

export const DEFAULT_ENTITIES_LIMIT = 100
export const MAX_ENTITIES_LIMIT = 1000

/** Name-based (v5) UUIDs under this namespace give every feed the same indicator id in every answer. */
const FEED_NAMESPACE = '5b0f2e59-3c5e-4d6b-9f0a-c1fa99000001'

export function indicatorId (feed: string): string {
  // Hashed as UTF-8 bytes, which is what uuid does with a string, except that uuid throws on a
  // lone surrogate (C1fApp's text is not always well formed) where the encoder writes U+FFFD.
  return `transient:indicator-${uuidv5(new TextEncoder().encode(feed), FEED_NAMESPACE)}`
}

export function sighting (observable: Observable, record: C1fAppRecord): Sighting {
  const time = `${record.reportime}T00:00:00.000Z`
  const doc: Sighting = {
    id: `transient:sighting-${randomUUID()}`,
    type: 'sighting',
    schema_version: CTIM_SCHEMA_VERSION,
    source: 'C1fApp',
    confidence: record.confidence,
    count: 1,
    description: 'Seen on C1fApp feed',
    observables: [{ type: observable.type, value: observable.value }],
    observed_time: { start_time: time, end_time: time },
    relations: observedRelations(observable, record)
  }
  if (record.sourceUri !== undefined) doc.source_uri = record.sourceUri
  return doc
}

export function indicator (record: C1fAppRecord): Indicator {
  return {
    id: indicatorId(record.feed),
    type: 'indicator',
    schema_version: CTIM_SCHEMA_VERSION,
    producer: 'C1fApp',
    title: `Feed: ${record.feed}`,
    short_description: record.feed,
    tags: record.assessment,
    confidence: record.confidence,
    tlp: 'white',
    valid_time: {}
  }
}

export function relationship (sightingId: string, indicatorRef: string): Relationship {
  return {
    id: `transient:relationship-${randomUUID()}`,
    type: 'relationship',
    schema_version: CTIM_SCHEMA_VERSION,
    relationship_type: 'member-of',
    source_ref: sightingId,
    target_ref: indicatorRef
  }
}

export interface ObservableRecords {
  observable: Observable
  /** C1fApp's answer for the observable, as received */
  records: unknown[]
}

export interface MappedBundle {
  bundle: ObserveBundle
  /** per observable, one `key error` warning for unusable records and one for IPs or domains left out */
  warnings: RelayError[]
}

function describe ({ type, value }: Observable): string {
  return `${type} ${JSON.stringify(value)}`
}

/**
 * Per observable: newest `reportime` first (stable), the first `limit` records, one sighting each;
 * one indicator per feed of the whole answer, from that feed's newest kept record; one
 * relationship per sighting to its feed's indicator.
 */
export function mapObserveBundle (answers: ObservableRecords[], limit: number): MappedBundle {
  const sightings: Sighting[] = []
  const relationships: Relationship[] = []
  const newestByFeed = new Map<string, C1fAppRecord>()
  const warnings: RelayError[] = []
  // A name-based id is a SHA-1: once per feed, not once per record (at 1 000 records it was a third
  // of the mapping's time).
  const indicatorIds = new Map<string, string>()
  const indicatorRef = (feed: string): string => {
    const known = indicatorIds.get(feed)
    if (known !== undefined) return known
    const id = indicatorId(feed)
    indicatorIds.set(feed, id)
    return id
  }

  for (const { observable, records: raw } of answers) {
    const records = raw.map(readRecord).filter((record): record is C1fAppRecord => record !== undefined)
    const skipped = raw.length - records.length
    if (skipped > 0) {
      warnings.push(new RelayError('key error',
        `Skipped ${skipped} of ${raw.length} C1fApp records for ${describe(observable)}: ` +
        'each record needs a reportime date (YYYY-MM-DD) and a non-empty feed_label.', 'warning'))
    }
    records.sort((a, b) => a.reportime < b.reportime ? 1 : a.reportime > b.reportime ? -1 : 0)
    const kept = records.slice(0, limit)
    const cut = relationsCutWarning(observable, kept)
    if (cut !== undefined) warnings.push(cut)
    for (const record of kept) {
      const doc = sighting(observable, record)
      sightings.push(doc)
      relationships.push(relationship(doc.id, indicatorRef(record.feed)))
      const newest = newestByFeed.get(record.feed)
      if (newest === undefined || record.reportime > newest.reportime) newestByFeed.set(record.feed, record)
    }
  }

  const indicators = [...newestByFeed.values()].map(indicator)
  const bundle: ObserveBundle = {}
  if (sightings.length > 0) {
    bundle.sightings = { count: sightings.length, docs: sightings }
    bundle.indicators = { count: indicators.length, docs: indicators }
    bundle.relationships = { count: relationships.length, docs: relationships }
  }
  return { bundle, warnings }
}
