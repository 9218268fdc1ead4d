// C1fApp records → the CTIM observe bundle (contract §3). Data in, data out: no I/O, no clock.
import { randomUUID } from 'node:crypto'
import { v5 as uuidv5 } from 'uuid'
import { readRecord, type C1fAppRecord } from '../c1fapp/record.js'
import type { Observable } from '../observables.js'
import { RelayError } from '../relay-error.js'
import { judgementsOf, verdictOf, type Judging } from './judgements.js'
import { fitText, fitUri, MAX_SHORT_DESCRIPTION, MAX_TAG, MAX_TITLE } from './limits.js'
import { observedRelations, relationsCutWarning } from './relations.js'
import { CTIM_SCHEMA_VERSION } from './vocabulary.js'
import type { DeliberateBundle, Indicator, Judgement, ObserveBundle, Relationship, Sighting, Verdict } from '../schemas/ctim.js'

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
  const sourceUri = fitUri(record.sourceUri)
  if (sourceUri !== undefined) doc.source_uri = sourceUri
  return doc
}

export function indicator (record: C1fAppRecord): Indicator {
  return {
    id: indicatorId(record.feed),
    type: 'indicator',
    schema_version: CTIM_SCHEMA_VERSION,
    producer: 'C1fApp',
    title: fitText(`Feed: ${record.feed}`, MAX_TITLE),
    short_description: fitText(record.feed, MAX_SHORT_DESCRIPTION),
    tags: record.assessment.map(tag => fitText(tag, MAX_TAG)),
    confidence: record.confidence,
    tlp: 'white',
    valid_time: {}
  }
}

export function relationship (sourceRef: string, indicatorRef: string, relationshipType: Relationship['relationship_type'] = 'member-of'): Relationship {
  return {
    id: `transient:relationship-${randomUUID()}`,
    type: 'relationship',
    schema_version: CTIM_SCHEMA_VERSION,
    relationship_type: relationshipType,
    source_ref: sourceRef,
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

/** An observable's usable records, newest `reportime` first (stable). */
export interface ReadRecords {
  observable: Observable
  records: C1fAppRecord[]
}

export interface ReadAnswers {
  read: ReadRecords[]
  /** one `key error` warning per observable that had unusable records */
  warnings: RelayError[]
}

function describe ({ type, value }: Observable): string {
  return `${type} ${JSON.stringify(value)}`
}

/**
 * C1fApp's answers read once: the mapping may run again with fewer records (contract §3.2). The
 * warnings say what of the first `limit` records of each observable could not be used.
 */
export function readAnswers (answers: ObservableRecords[], limit: number): ReadAnswers {
  const warnings: RelayError[] = []
  const read = answers.map(({ observable, records: raw }) => {
    const records = raw.map(readRecord).filter((record): record is C1fAppRecord => record !== undefined)
    const skipped = raw.length - records.length
    if (skipped > 0) {
      warnings.push(new RelayError('key error',
        `Skipped ${skipped} of ${raw.length} C1fApp records for ${describe(observable)}: ` +
        'each record needs a reportime date (YYYY-MM-DD) and a non-empty feed_label.', 'warning'))
    }
    records.sort((a, b) => a.reportime < b.reportime ? 1 : a.reportime > b.reportime ? -1 : 0)
    const cut = relationsCutWarning(observable, records.slice(0, limit))
    if (cut !== undefined) warnings.push(cut)
    return { observable, records }
  })
  return { read, warnings }
}

/**
 * Per observable, its first `limit` records: one sighting each; one judgement per feed, and the
 * verdict from the first (contract §3.1); one indicator per feed of the whole answer, from that
 * feed's newest kept record; one relationship per sighting and per judgement to its feed's indicator.
 */
export function observeBundle (read: ReadRecords[], limit: number, judging: Judging): ObserveBundle {
  const sightings: Sighting[] = []
  const judgements: Judgement[] = []
  const verdicts: Verdict[] = []
  const relationships: Relationship[] = []
  const elements: Relationship[] = []
  const newestByFeed = new Map<string, C1fAppRecord>()
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

  for (const { observable, records } of read) {
    const kept = records.slice(0, limit)
    for (const record of kept) {
      const doc = sighting(observable, record)
      sightings.push(doc)
      relationships.push(relationship(doc.id, indicatorRef(record.feed)))
      const newest = newestByFeed.get(record.feed)
      if (newest === undefined || record.reportime > newest.reportime) newestByFeed.set(record.feed, record)
    }
    const judged = judgementsOf(observable, kept, judging)
    for (const { judgement, feed } of judged) {
      judgements.push(judgement)
      elements.push(relationship(judgement.id, indicatorRef(feed), 'element-of'))
    }
    if (judged.length > 0) verdicts.push(verdictOf(judged[0].judgement, true))
  }

  const bundle: ObserveBundle = {}
  if (sightings.length > 0) {
    const indicators = [...newestByFeed.values()].map(indicator)
    bundle.sightings = { count: sightings.length, docs: sightings }
    bundle.indicators = { count: indicators.length, docs: indicators }
    // Judgements come only from sightings' records, and every judgement gives a verdict or follows one.
    if (judgements.length > 0) {
      bundle.judgements = { count: judgements.length, docs: judgements }
      bundle.verdicts = { count: verdicts.length, docs: verdicts }
    }
    relationships.push(...elements)
    bundle.relationships = { count: relationships.length, docs: relationships }
  }
  return bundle
}

/** Deliberate's verdicts: the same judgements as observe's, without the judgements themselves. */
export function deliberateBundle (read: ReadRecords[], limit: number, judging: Judging): DeliberateBundle {
  const verdicts: Verdict[] = []
  for (const { observable, records } of read) {
    const [first] = judgementsOf(observable, records.slice(0, limit), judging)
    if (first !== undefined) verdicts.push(verdictOf(first.judgement, false))
  }
  return verdicts.length > 0 ? { verdicts: { count: verdicts.length, docs: verdicts } } : {}
}

/** C1fApp's answers → the observe bundle, and the warnings about unusable records. */
export function mapObserveBundle (answers: ObservableRecords[], limit: number, judging: Judging): MappedBundle {
  const { read, warnings } = readAnswers(answers, limit)
  return { bundle: observeBundle(read, limit, judging), warnings }
}
