// The observe and deliberate answers in Threat Response's envelope: the data of every observable
// that succeeded, plus the errors (identical ones once), never larger than ANSWER_MAX_BYTES
// (contract §3.2). No I/O: the call's time comes in with the options; observe's bytes are
// lib/ctim/observe-bytes.ts's, and whoever sends them calls its answerSent.
import { deliberateBundle, observeBundle, readAnswers, type Mapping, type ReadRecords } from './ctim/bundle.js'
import { answerSent, bundleRoom, observeAnswerBytes, type ObserveBundleJson } from './ctim/observe-bytes.js'
import type { DeliberateBundle } from './schemas/ctim.js'
import type { RecordsRead } from './c1fapp/record.js'
import type { Observable } from './observables.js'
import { ownerSetting, RelayError, uniqueErrors, type EnvelopeError } from './relay-error.js'

export interface Answer<T> {
  data?: T
  errors?: EnvelopeError[]
}
/** observe's answer: its bundle is JSON bytes already (lib/ctim/observe-bytes.ts), the envelope around it is not */
export type ObserveAnswer = Answer<ObserveBundleJson>
export type DeliberateAnswer = Answer<DeliberateBundle>

/** `sightings` (C1FAPP_SIGHTINGS, §3.3) shapes observe's sightings, and so the warnings of both routes. */
export interface DeliberateOptions extends Mapping {
  /** CTR_ENTITIES_LIMIT of the call */
  limit: number
  /** what the relay left out of the body (lib/observables.ts): first among the errors */
  skipped?: RelayError[]
}

export interface AnswerOptions extends DeliberateOptions {
  /** ANSWER_MAX_BYTES */
  maxBytes: number
}

export interface Answered<T> {
  answer: Answer<T>
  /** set when §3.2 cut the answer: the sightings each observable kept */
  keptPerObservable?: number
  /** set when even one sighting each did not fit: how many observables were left out whole */
  observablesLeftOut?: number
}

interface Split {
  read: ReadRecords[]
  failures: RelayError[]
  /** every observable failed: the answer is the errors alone */
  failed: boolean
}

/** What the C1fApp client gives for each observable: its answer, read, or why there is none. */
export type Outcome = RecordsRead | RelayError

/** `outcomes[i]` is C1fApp's answer for `observables[i]`, or why there is none. */
function split (observables: Observable[], outcomes: Outcome[], { limit, skipped = [], sightings }: DeliberateOptions): Split {
  const answers = []
  const failures: RelayError[] = []
  for (const [i, observable] of observables.entries()) {
    const outcome = outcomes[i]
    if (outcome instanceof RelayError) failures.push(outcome)
    else answers.push({ observable, answer: outcome })
  }
  const { read, warnings } = readAnswers(answers, limit, sightings)
  const failed = observables.length > 0 && answers.length === 0
  // The daily quota's one error (contract §6) is fatal only when nothing could be answered.
  const reported = failed ? failures : failures.map(error => error.code === 'too many requests' ? new RelayError(error.code, error.message, 'warning') : error)
  return { read, failures: [...skipped, ...reported, ...warnings], failed }
}

function envelope<T> (data: T, errors: RelayError[]): Answer<T> {
  const unique = uniqueErrors(errors)
  return unique.length > 0 ? { data, errors: unique } : { data }
}

/** With `per-feed` sightings the cut keeps records, which its sightings per feed are made of. */
function tooManyEntities (kept: number, maxBytes: number, sightings: Mapping['sightings']): RelayError {
  const what = sightings === 'per-feed'
    ? `C1fApp record${kept === 1 ? '' : 's'} of each observable ${kept === 1 ? 'is' : 'are'} kept (as a sighting per feed)`
    : `sighting${kept === 1 ? '' : 's'} of each observable ${kept === 1 ? 'is' : 'are'} kept`
  return new RelayError('too many entities',
    `The answer would be larger than ${maxBytes} bytes (${ownerSetting('ANSWER_MAX_BYTES')}): only the newest ${kept} ` +
    `${what}, with their indicators, judgements, verdicts and relationships.`,
    'warning')
}

function observablesLeftOut (leftOut: number, maxBytes: number): RelayError {
  return new RelayError('too many entities',
    `The answer would be larger than ${maxBytes} bytes (${ownerSetting('ANSWER_MAX_BYTES')}) even with one sighting of each observable: ` +
    `the last ${leftOut} observable${leftOut === 1 ? '' : 's'} asked ${leftOut === 1 ? 'is' : 'are'} left out, and only the newest sighting ` +
    'of each other observable is kept, with their indicators, judgements, verdicts and relationships.',
    'warning')
}

/**
 * The answer with these errors and each observable's first `kept` records, or undefined when it
 * would be larger than `maxBytes`: observeBundle stops writing as soon as the bundle passes the
 * room the envelope leaves it, so a try that cannot fit costs no more than the limit.
 */
function answerWithin (read: ReadRecords[], kept: number, errors: RelayError[], options: AnswerOptions): ObserveAnswer | undefined {
  const answer: Answer<undefined> = envelope(undefined, errors)
  const data = observeBundle(read, kept, options, bundleRoom(options.maxBytes, envelopeEnd(answer)))
  return data === undefined ? undefined : { ...answer, data }
}

/**
 * The observe answer, never larger than ANSWER_MAX_BYTES (contract §3.2): whole when it fits; else
 * every observable keeps its newest sightings, as many as fit; when even one each would not fit,
 * the observables asked last are left out whole.
 */
export function observeAnswer (observables: Observable[], outcomes: Outcome[], options: AnswerOptions): Answered<ObserveBundleJson> {
  const { read, failures, failed } = split(observables, outcomes, options)
  if (failed) return { answer: { errors: uniqueErrors(failures) } }
  const { limit, maxBytes } = options
  const full = answerWithin(read, limit, failures, options)
  if (full !== undefined) return { answer: full }

  // each try writes anew: what a try writes is not kept with cached records, only the full answer's is
  const tried = read.map(answer => ({ ...answer, kept: false }))
  const cut = (kept: number): ObserveAnswer | undefined => answerWithin(tried, kept, [...failures, tooManyEntities(kept, maxBytes, options.sightings)], options)
  const one = cut(1)
  if (one === undefined) return leaveOut(tried, failures, options)
  // The most sightings per observable that fit; a try that does not fit wrote no answer.
  const most = Math.min(limit, Math.max(...read.map(({ records }) => records.length)))
  const { count, answer } = mostThatFit(cut, 1, one, most - 1)
  return { answer, keptPerObservable: count }
}

/**
 * One sighting each does not fit: the observables with sightings asked first keep their newest one,
 * as many observables as fit, and the others are left out whole.
 */
function leaveOut (tried: ReadRecords[], failures: RelayError[], options: AnswerOptions): Answered<ObserveBundleJson> {
  const sighted = tried.filter(({ records }) => records.length > 0)
  const first = (count: number): ObserveAnswer | undefined =>
    answerWithin(sighted.slice(0, count), 1, [...failures, observablesLeftOut(sighted.length - count, options.maxBytes)], options)
  // none at all always gives a bundle: `{}`, whatever room the errors leave
  const { count, answer } = mostThatFit(first, 0, first(0) as ObserveAnswer, sighted.length - 1)
  return { answer, keptPerObservable: 1, observablesLeftOut: sighted.length - count }
}

/**
 * The largest count from `known` to `high` whose `attempt` fits (gives an answer), found by
 * halving; `fits` is the answer of `known`, which fits. An answer not kept gives its memory back at once.
 */
function mostThatFit (attempt: (count: number) => ObserveAnswer | undefined, known: number, fits: ObserveAnswer, high: number): { count: number, answer: ObserveAnswer } {
  let best = { count: known, answer: fits }
  let low = known + 1
  while (low <= high) {
    const middle = Math.floor((low + high) / 2)
    const candidate = attempt(middle)
    if (candidate !== undefined) {
      answerSent(best.answer.data as ObserveBundleJson)
      best = { count: middle, answer: candidate }
      low = middle + 1
    } else {
      high = middle - 1
    }
  }
  return best
}

/** What follows observe's bundle in its answer: the errors, if any, and the envelope's end. */
function envelopeEnd ({ errors }: Answer<unknown>): string {
  return errors === undefined ? '}' : `,"errors":${JSON.stringify(errors)}}`
}

/**
 * An answer as the JSON bytes sent: observe's bundle, JSON bytes already, goes in as it is; any
 * other answer (the error handler's envelope, which observe's serialiser also writes) through
 * JSON.stringify. The mapping writes every entity, and the envelope is written, with exactly its
 * schema's properties in the schema's order, so these are the bytes the schema's
 * fast-json-stringify serialiser would write (test/lib/relay-answer.test.ts holds them to it).
 */
export function answerBytes (answer: Answer<unknown>): Buffer {
  if (!Buffer.isBuffer(answer.data)) return Buffer.from(JSON.stringify(answer))
  return observeAnswerBytes(answer.data, envelopeEnd(answer))
}

/**
 * The observe route's serialiser (Fastify's `serializerCompiler`): answerBytes. Observe's answers
 * are the relay's largest: handed a string, Fastify would measure its UTF-8 length and the socket
 * encode it; a Buffer is sent as it is.
 */
export function answerSerializer (): (answer: Answer<unknown>) => Buffer {
  return answerBytes
}

/** The deliberate answer: observe's verdicts, without the entities they come from. */
export function deliberateAnswer (observables: Observable[], outcomes: Outcome[], options: DeliberateOptions): DeliberateAnswer {
  const { read, failures, failed } = split(observables, outcomes, options)
  if (failed) return { errors: uniqueErrors(failures) }
  return envelope(deliberateBundle(read, options.limit, options), failures)
}
