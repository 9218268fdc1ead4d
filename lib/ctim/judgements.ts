// Judgements and verdicts from C1fApp's feeds (contract §3.1). Pure: the call's time comes in.
import type { C1fAppRecord } from '../c1fapp/record.js'
import type { Confidence } from './vocabulary.js'
import type { Observable } from '../observables.js'
import { fitText, fitUri, MAX_REASON } from './limits.js'
import { CTIM_SCHEMA_VERSION, type Severity } from './vocabulary.js'
import type { Judgement, ValidTime, Verdict } from '../schemas/ctim.js'

export const JUDGEMENT_PRIORITY = 85

/** Assessments of feeds whose listing is a threat in itself. */
const THREATS = new Set(['phishing', 'malware', 'botnet', 'fastflux', 'exploit', 'c2'])
const WHITELIST = 'whitelist'
const DAY_MS = 24 * 60 * 60 * 1000

export type Disposition = 2 | 3 | 5
const DISPOSITION_NAMES = { 2: 'Malicious', 3: 'Suspicious', 5: 'Unknown' } as const
const SEVERITY_OF = { 2: 'High', 3: 'Medium' } as const
const CONFIDENCE_RANK: Record<Confidence, number> = { High: 0, Medium: 1, Low: 2, Unknown: 3 }

/** What the call asks of judgements: the call's time (ms since the epoch) and how long they stay valid. */
export interface Judging {
  now: number
  validDays: number
}

interface Outcome { disposition: Disposition, severity: Severity }

/** One assessment at the record's confidence: the §3.1 table, row by column. */
function outcome (assessment: string, confidence: Confidence): Outcome {
  if (confidence === 'Low' || confidence === 'Unknown') return { disposition: 5, severity: confidence }
  const disposition = THREATS.has(assessment) && confidence === 'High' ? 2 : 3
  return { disposition, severity: SEVERITY_OF[disposition] }
}

/** The record's worst outcome over its assessments, or undefined for a whitelisted record. */
export function recordOutcome (record: C1fAppRecord): Outcome | undefined {
  const assessments = record.assessment.map(assessment => assessment.toLowerCase())
  if (assessments.includes(WHITELIST)) return undefined
  // No assessment at all reads as "anything else".
  return (assessments.length > 0 ? assessments : ['']).map(assessment => outcome(assessment, record.confidence))
    .reduce((worst, next) => next.disposition < worst.disposition ? next : worst)
}

/** The last valid time written: every observable of a call (and every call of that millisecond) shares it. */
let last: { now: number, validDays: number, time: ValidTime } | undefined

export function validTime ({ now, validDays }: Judging): ValidTime {
  if (last === undefined || last.now !== now || last.validDays !== validDays) {
    const time = Object.freeze({ start_time: new Date(now).toISOString(), end_time: new Date(now + validDays * DAY_MS).toISOString() })
    last = { now, validDays, time }
  }
  return last.time
}

function reason (record: C1fAppRecord): string {
  const what = record.assessment.length > 0 ? record.assessment.join(', ') : 'listed'
  return fitText(`${what} in feed ${record.feed} (last reported ${record.reportime})`, MAX_REASON)
}

export interface Judged {
  judgement: Judgement
  feed: string
  reportime: string
}

function judgement (id: string, observable: Observable, record: C1fAppRecord, { disposition, severity }: Outcome, time: ValidTime): Judgement {
  const doc: Judgement = {
    id,
    type: 'judgement',
    schema_version: CTIM_SCHEMA_VERSION,
    observable: { type: observable.type, value: observable.value },
    disposition,
    disposition_name: DISPOSITION_NAMES[disposition],
    severity,
    confidence: record.confidence,
    priority: JUDGEMENT_PRIORITY,
    source: 'C1fApp',
    tlp: 'white',
    reason: reason(record),
    valid_time: time
  }
  const sourceUri = fitUri(record.sourceUri)
  if (sourceUri !== undefined) doc.source_uri = sourceUri
  return doc
}

function compare (a: Judged, b: Judged): number {
  return a.judgement.disposition - b.judgement.disposition ||
    Number(a.reportime < b.reportime) - Number(a.reportime > b.reportime) ||
    CONFIDENCE_RANK[a.judgement.confidence] - CONFIDENCE_RANK[b.judgement.confidence] ||
    (a.feed < b.feed ? -1 : 1) // one judgement per feed: labels never tie
}

/**
 * One judgement per feed of the observable's kept records (newest first), from the feed's newest
 * record that is not whitelisted; worst first, then newest, then surest, then by feed label.
 */
export function judgementsOf (observable: Observable, kept: C1fAppRecord[], judging: Judging, ids: (kind: string) => string): Judged[] {
  const time = validTime(judging)
  const byFeed = new Map<string, Judged>()
  for (const record of kept) {
    if (byFeed.has(record.feed)) continue
    const result = recordOutcome(record)
    if (result === undefined) continue
    byFeed.set(record.feed, { judgement: judgement(ids('judgement'), observable, record, result, time), feed: record.feed, reportime: record.reportime })
  }
  return [...byFeed.values()].sort(compare)
}

/** The observable's verdict, from its first judgement; `judgement_id` only where the judgement is in the answer. */
export function verdictOf (first: Judgement, withJudgementId: boolean): Verdict {
  const doc: Verdict = {
    type: 'verdict',
    observable: first.observable,
    disposition: first.disposition,
    disposition_name: first.disposition_name,
    valid_time: first.valid_time
  }
  if (withJudgementId) doc.judgement_id = first.id
  return doc
}
