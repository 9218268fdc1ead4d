// The observe and deliberate answers in Threat Response's envelope: the data of every observable
// that succeeded, plus the errors (identical ones once), never larger than ANSWER_MAX_BYTES
// (contract §3.2). No I/O: the call's time comes in with the options, and observe's answer is
// written into memory lent by lib/ctim/answer-buffers.ts, which its sender gives back.
import { giveBack } from './ctim/answer-buffers.js'
import { deliberateBundle, envelopeRoom, observeBundle, readAnswers, type Mapping, type ObserveBundleJson, type ReadRecords } from './ctim/bundle.js'
import type { DeliberateBundle } from './schemas/ctim.js'
import type { RecordsRead } from './c1fapp/record.js'
import type { Observable } from './observables.js'
import { ownerSetting, RelayError, uniqueErrors, type EnvelopeError } from './relay-error.js'

export interface Answer<T> {
  data?: T
  errors?: EnvelopeError[]
}
/** observe's answer: its bundle is JSON bytes already (lib/ctim/bundle.ts), the envelope around it is not */
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

/** An observe answer's size in bytes, as answerBytes writes it, without writing it. */
const bytes = (answer: ObserveAnswer): number => DATA.length + (answer.data as ObserveBundleJson).length + Buffer.byteLength(envelopeEnd(answer))

/**
 * An upper bound of a kept record's share of the answer: its sighting, relationship and at most
 * one judgement, element-of relationship, indicator and verdict, each string at most six bytes a
 * character (a JSON escape). Only when the bounds add up past ANSWER_MAX_BYTES is the answer
 * measured: serialising it twice on every call would cost every call.
 */
function recordBound ({ observable, records }: ReadRecords, limit: number): number {
  let bound = 0
  const value = observable.value.length
  for (let i = 0; i < Math.min(limit, records.length); i++) {
    const record = records[i]
    const related = record.domains.length + record.ips.length + 1
    const texts = record.feed.length * 4 + (record.sourceUri?.length ?? 0) * 2 + joinedLength(record.assessment) * 3 +
      (record.address?.length ?? 0) + joinedLength(record.domains) * 2 + joinedLength(record.ips) * 2 + value * (3 + 2 * related)
    bound += 4000 + 400 * related + 6 * texts
  }
  return bound
}

/** `list.join().length`, without building the string: this runs for every kept record. */
function joinedLength (list: string[]): number {
  let length = Math.max(0, list.length - 1)
  for (const item of list) length += item.length
  return length
}

/** The observe answer, cut to ANSWER_MAX_BYTES when it would be larger. */
export function observeAnswer (observables: Observable[], outcomes: Outcome[], options: AnswerOptions): Answered<ObserveBundleJson> {
  const { read, failures, failed } = split(observables, outcomes, options)
  if (failed) return { answer: { errors: uniqueErrors(failures) } }
  const { limit, maxBytes } = options
  const full = envelope(observeBundle(read, limit, options), failures)
  // the envelope and the lists' own keys: under a kilobyte
  const bound = read.reduce((sum, answer) => sum + recordBound(answer, limit), 1000 + Buffer.byteLength(JSON.stringify(full.errors ?? [])))
  if (bound <= maxBytes || bytes(full) <= maxBytes) return { answer: full }
  giveBack(full.data as ObserveBundleJson)

  // The most sightings per observable that fit, found by halving; at least one each.
  const most = Math.min(limit, Math.max(...read.map(({ records }) => records.length)))
  // each try writes anew: what a try writes is not kept with cached records, only the full answer's is
  const tried = read.map(answer => ({ ...answer, kept: false }))
  const cut = (kept: number): ObserveAnswer =>
    envelope(observeBundle(tried, kept, options), [...failures, tooManyEntities(kept, maxBytes, options.sightings)])
  let low = 2
  let high = most - 1
  let kept = 1
  let best = cut(1)
  while (low <= high) {
    const middle = Math.floor((low + high) / 2)
    const candidate = cut(middle)
    // a try not kept gives its memory back at once (lib/ctim/answer-buffers.ts)
    if (bytes(candidate) <= maxBytes) {
      giveBack(best.data as ObserveBundleJson);
      [kept, best, low] = [middle, candidate, middle + 1]
    } else {
      giveBack(candidate.data as ObserveBundleJson)
      high = middle - 1
    }
  }
  return { answer: best, keptPerObservable: kept }
}

const DATA = Buffer.from('{"data":')
const CLOSE = 0x7d

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
  const room = answer.errors === undefined ? envelopeRoom(answer.data) : undefined
  if (room !== undefined) {
    // written in place, around the bundle: the same bytes every time
    DATA.copy(room)
    room[room.length - 1] = CLOSE
    return room
  }
  return Buffer.concat([DATA, answer.data, Buffer.from(envelopeEnd(answer))])
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
