// C1fApp records → the CTIM observe bundle (contract §3). Data in, data out: no I/O, no clock.
import { randomUUID } from 'node:crypto'
import { v5 as uuidv5 } from 'uuid'
import { readRecords, type C1fAppRecord, type RecordsRead } from '../c1fapp/record.js'
import type { Observable } from '../observables.js'
import { RelayError } from '../relay-error.js'
import { judgementsOf, verdictOf, type Judging } from './judgements.js'
import { fitText, fitUri, MAX_DESCRIPTION, MAX_SHORT_DESCRIPTION, MAX_TAG, MAX_TITLE } from './limits.js'
import { answerSent, bundleWritten, observableBytes, startBundle, writeIndicator, writeJudgement, writeObservableSightings, writeRelationship, writeSighting, writeVerdict, type ObserveBundleJson, type SightingFacts } from './observe-bytes.js'
import { relationsCutWarning } from './relations.js'
import { CTIM_SCHEMA_VERSION, type Confidence } from './vocabulary.js'
import { DEFAULT_SIGHTINGS, type SightingsMode } from '../sightings-mode.js'
import type { DeliberateBundle, Indicator, ObserveBundle, Verdict } from '../schemas/ctim.js'

/** Name-based (v5) UUIDs under this namespace give every feed the same indicator id in every answer. */
const FEED_NAMESPACE = '5b0f2e59-3c5e-4d6b-9f0a-c1fa99000001'

/** indicatorId remembers this many feeds' ids, then starts again: feed names come from C1fApp, unbounded. */
export const INDICATOR_IDS_KEPT = 10_000
const indicatorIds = new Map<string, string>()

export function indicatorId (feed: string): string {
  // A name-based id is a SHA-1: once per feed, not once per record or call (at 1 000 records it
  // was a third of the mapping's time, and a tenth of a one-observable call's).
  const known = indicatorIds.get(feed)
  if (known !== undefined) return known
  if (indicatorIds.size >= INDICATOR_IDS_KEPT) indicatorIds.clear()
  // Hashed as UTF-8 bytes, which is what uuid does with a string, except that uuid throws on a
  // lone surrogate (C1fApp's text is not always well formed) where the encoder writes U+FFFD.
  const id = `transient:indicator-${uuidv5(new TextEncoder().encode(feed), FEED_NAMESPACE)}`
  indicatorIds.set(feed, id)
  return id
}

/**
 * The transient ids of one answer (`transient:<kind>-<uuid>`): one random UUID, whose last 32 bits
 * then count up from where they stand. Unique within the answer (they only link its entities) and,
 * some 90 random bits apart, across answers; a random UUID per entity was a crypto call and a string each.
 */
function transientIds (): (kind: string) => string {
  const uuid = randomUUID()
  const prefix = uuid.slice(0, 28)
  let node = Number.parseInt(uuid.slice(28), 16)
  return kind => {
    node = (node + 1) >>> 0
    return `transient:${kind}-${prefix}${node.toString(16).padStart(8, '0')}`
  }
}

const CONFIDENCE_ORDER: Record<Confidence, number> = { Unknown: 0, Low: 1, Medium: 2, High: 3 }

/** `Seen on C1fApp feed <label>` for one record, `Seen <count> times on C1fApp feed <label>` for more (contract §3, §3.3). */
export function sightingDescription (feed: string, count: number): string {
  return fitText(`Seen ${count === 1 ? '' : `${count} times `}on C1fApp feed ${feed}`, MAX_DESCRIPTION)
}

/**
 * A sighting of one feed's records (newest `reportime` first, all of one feed). One record is a
 * sighting of `each` mode; several are a `per-feed` sighting (contract §3.3): counted, from the
 * oldest day's start to the newest day's end, at the highest confidence, with the newest record's
 * source_uri and the union of the records' relations (lib/ctim/observe-bytes.ts writes it).
 */
function sightingFacts (id: string, observable: Observable, self: Buffer, records: C1fAppRecord[], perFeed: boolean): SightingFacts {
  const newest = records[0]
  let confidence = newest.confidence
  for (const { confidence: other } of records) if (CONFIDENCE_ORDER[other] > CONFIDENCE_ORDER[confidence]) confidence = other
  return { id, confidence, description: sightingDescription(newest.feed, records.length), observable, self, records, perFeed, sourceUri: fitUri(newest.sourceUri) }
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

export interface ObservableRecords {
  observable: Observable
  /** C1fApp's answer for the observable, as received */
  records: unknown[]
}

export interface ObservableRecordsRead {
  observable: Observable
  answer: RecordsRead
}

export interface MappedBundle {
  /** the bundle's JSON text, read back */
  bundle: ObserveBundle
  /** per observable, one `key error` warning for unusable records and one for IPs or domains left out */
  warnings: RelayError[]
}

/** An observable's usable records, newest `reportime` first (stable). */
export interface ReadRecords {
  observable: Observable
  records: C1fAppRecord[]
  /** the answer cache keeps these records for further calls (RecordsRead's `kept`) */
  kept: boolean
}

/** An observable's first `limit` records by feed, in the order of each feed's newest record; each feed's records newest first. */
export function recordsByFeed (records: C1fAppRecord[], limit: number): Map<string, C1fAppRecord[]> {
  const feeds = new Map<string, C1fAppRecord[]>()
  for (let i = 0; i < Math.min(limit, records.length); i++) {
    const record = records[i]
    const feed = feeds.get(record.feed)
    if (feed === undefined) feeds.set(record.feed, [record])
    else feed.push(record)
  }
  return feeds
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
 * C1fApp's answers, read (lib/c1fapp/record.ts's readRecords), with the warnings of what could not
 * be used: unusable records, and IPs or domains past the caps among the first `limit` records (and,
 * with `per-feed` sightings, past the caps of each feed's union).
 */
export function readAnswers (answers: ObservableRecordsRead[], limit: number, sightings: SightingsMode = DEFAULT_SIGHTINGS): ReadAnswers {
  const warnings: RelayError[] = []
  const read = answers.map(({ observable, answer: { records, received, kept } }) => {
    const skipped = received - records.length
    if (skipped > 0) {
      warnings.push(new RelayError('key error',
        `Skipped ${skipped} of ${received} C1fApp records for ${describe(observable)}: ` +
        'each record needs a reportime date (YYYY-MM-DD) and a non-empty feed_label.', 'warning'))
    }
    const used = records.slice(0, limit)
    const cut = relationsCutWarning(observable, used, sightings === 'per-feed' ? recordsByFeed(used, limit).values() : undefined)
    if (cut !== undefined) warnings.push(cut)
    return { observable, records, kept }
  })
  return { read, warnings }
}

/**
 * An observable's sightings and their member-of relationships, from its first `limit` records (one
 * per record, or per feed); false as soon as the bundle passes its room.
 */
function writeSightings (observable: Observable, records: C1fAppRecord[], limit: number, mode: SightingsMode): boolean {
  const ids = transientIds()
  const self = observableBytes(observable)
  const sighting = (records: C1fAppRecord[], feed: string, perFeed: boolean): boolean => {
    const id = ids('sighting')
    return writeSighting(sightingFacts(id, observable, self, records, perFeed),
      { id: ids('relationship'), relationship_type: 'member-of', source_ref: id, target_ref: indicatorId(feed) })
  }
  if (mode === 'per-feed') {
    for (const [feed, feedRecords] of recordsByFeed(records, limit)) if (!sighting(feedRecords, feed, true)) return false
    return true
  }
  for (let i = 0; i < Math.min(limit, records.length); i++) if (!sighting([records[i]], records[i].feed, false)) return false
  return true
}

/** What the call asks of the observe mapping: its judgements' time, and C1FAPP_SIGHTINGS (`each` when absent). */
export interface Mapping extends Judging {
  sightings?: SightingsMode
}

/**
 * Per observable, its first `limit` records: one sighting each, or one per feed with `per-feed`
 * (contract §3.3); one judgement per feed, and the verdict from the first (contract §3.1); one
 * indicator per feed of the whole answer, from that feed's newest kept record; one relationship per
 * sighting and per judgement to its feed's indicator. Written as the JSON the answer carries
 * (lib/ctim/observe-bytes.ts), in memory lent for it: whoever sends the answer calls answerSent.
 * Undefined when the bundle would be larger than `room` bytes: writing stops as soon as it passes
 * them, so a bundle that cannot fit never costs more than `room` and one entity. Nothing found is
 * `{}` whatever the room, so that an answer of errors alone has its bundle.
 */
export function observeBundle (read: ReadRecords[], limit: number, judging: Mapping, room = Infinity): ObserveBundleJson | undefined {
  const ids = transientIds()
  const mode = judging.sightings ?? DEFAULT_SIGHTINGS
  startBundle(room)
  /** the judgement ids and feeds, for their element-of relationships */
  const judged: Array<{ id: string, feed: string }> = []
  const newestByFeed = new Map<string, C1fAppRecord>()

  for (const { observable, records, kept } of read) {
    // the same records serve both modes (the cache keeps records, not the mapping): the mode is part of the key
    const remembered = kept ? { records, key: `${observable.type}\u0000${limit}\u0000${mode}\u0000${observable.value}` } : undefined
    if (!writeObservableSightings(remembered, () => writeSightings(observable, records, limit, mode))) return undefined
    const used = records.slice(0, limit)
    for (const record of used) {
      const newest = newestByFeed.get(record.feed)
      if (newest === undefined || record.reportime > newest.reportime) newestByFeed.set(record.feed, record)
    }
    const judgedHere = judgementsOf(observable, used, judging, ids)
    for (const { judgement, feed } of judgedHere) {
      if (!writeJudgement(judgement)) return undefined
      judged.push({ id: judgement.id, feed })
    }
    if (judgedHere.length > 0 && !writeVerdict(verdictOf(judgedHere[0].judgement, true))) return undefined
  }
  // every sighting has its member-of relationship, then come the element-of ones
  for (const { id, feed } of judged) {
    if (!writeRelationship({ id: ids('relationship'), relationship_type: 'element-of', source_ref: id, target_ref: indicatorId(feed) })) return undefined
  }
  for (const record of newestByFeed.values()) if (!writeIndicator(indicator(record))) return undefined
  return bundleWritten()
}

/** Deliberate's verdicts: the same judgements as observe's, without the judgements themselves. */
export function deliberateBundle (read: ReadRecords[], limit: number, judging: Judging): DeliberateBundle {
  const verdicts: Verdict[] = []
  const ids = transientIds()
  for (const { observable, records } of read) {
    const [first] = judgementsOf(observable, records.slice(0, limit), judging, ids)
    if (first !== undefined) verdicts.push(verdictOf(first.judgement, false))
  }
  return verdicts.length > 0 ? { verdicts: { count: verdicts.length, docs: verdicts } } : {}
}

/** C1fApp's answers → the observe bundle, and the warnings about unusable records. */
export function mapObserveBundle (answers: ObservableRecords[], limit: number, judging: Mapping): MappedBundle {
  const { read, warnings } = readAnswers(answers.map(({ observable, records }) => ({ observable, answer: readRecords(records) })), limit, judging.sightings)
  // without a room, a bundle is always written
  const bytes = observeBundle(read, limit, judging) as ObserveBundleJson
  const bundle = JSON.parse(bytes.toString()) as ObserveBundle
  answerSent(bytes)
  return { bundle, warnings }
}
