// The observables a call looks up (contract §1.1): supported types, each once, within the limits.
import { ownerSetting, RelayError } from './relay-error.js'
import type { ObservableLimits, ObservablesBody } from './schemas/observables.js'

export const SUPPORTED_TYPES = ['domain', 'ip', 'url'] as const
export type SupportedType = typeof SUPPORTED_TYPES[number]

export interface Observable {
  type: SupportedType
  value: string
}

export interface ObservablesToQuery {
  observables: Observable[]
  /** `"type":"warning"` errors for what the limits left out; they join the answer's errors */
  warnings: RelayError[]
}

function isSupported (type: string): type is SupportedType {
  return (SUPPORTED_TYPES as readonly string[]).includes(type)
}

/** Characters as JSON Schema counts them (code points); a string of fewer UTF-16 units has no more. */
function longerThan (value: string, limit: number): boolean {
  if (value.length <= limit) return false
  let points = 0
  // codePointAt reads a surrogate pair as one character, a lone surrogate as one too
  for (let i = 0; i < value.length; i += value.codePointAt(i)! > 0xffff ? 2 : 1) if (++points > limit) return true
  return false
}

const NAMED_AT_MOST = 5
/** A value too long to look up is named by its beginning: it may be megabytes. */
export const NAMED_VALUE_CHARACTERS = 40

/** An observable as the analyst typed it, `domain "…"`, a long value cut to its beginning and its length. */
function named ({ type, value }: Observable): string {
  const points = [...value]
  if (points.length <= NAMED_VALUE_CHARACTERS) return `${type} ${JSON.stringify(value)}`
  return `${type} ${JSON.stringify(`${points.slice(0, NAMED_VALUE_CHARACTERS).join('')}…`)} (${points.length} characters)`
}

function tooLongWarning (tooLong: Observable[], limit: number): RelayError {
  const listed = tooLong.slice(0, NAMED_AT_MOST).map(named).join(', ')
  const more = tooLong.length > NAMED_AT_MOST ? ` and ${tooLong.length - NAMED_AT_MOST} more` : ''
  const what = tooLong.length === 1 ? 'observable was' : 'observables were'
  return new RelayError('invalid argument',
    `${tooLong.length} ${what} not looked up: the value is longer than the limit of ${limit} characters (${ownerSetting('MAX_VALUE_LENGTH')}): ${listed}${more}.`, 'warning')
}

function tooManyWarning (leftOut: number, limit: number): RelayError {
  const what = leftOut === 1 ? 'observable was' : 'observables were'
  return new RelayError('invalid argument',
    `${leftOut} ${what} not looked up: only the first ${limit} distinct domain, ip and url observables of a call are (${ownerSetting('MAX_OBSERVABLES')}).`, 'warning')
}

/**
 * The observables worth a C1fApp query: supported types only (Threat Response sends every
 * observable of an investigation to every module), each (type, value) once, in request order.
 * The limits apply to these alone: a value over MAX_VALUE_LENGTH is skipped, and past
 * MAX_OBSERVABLES the rest are left out, each with one warning naming the limit.
 */
export function observablesToQuery (body: ObservablesBody, limits: ObservableLimits): ObservablesToQuery {
  const seen = new Set<string>()
  const observables: Observable[] = []
  const tooLong: Observable[] = []
  let leftOut = 0
  for (const { type, value } of body) {
    const key = `${type}\u0000${value}`
    if (!isSupported(type) || seen.has(key)) continue
    seen.add(key)
    if (longerThan(value, limits.MAX_VALUE_LENGTH)) tooLong.push({ type, value })
    else if (observables.length < limits.MAX_OBSERVABLES) observables.push({ type, value })
    else leftOut++
  }
  const warnings = []
  if (tooLong.length > 0) warnings.push(tooLongWarning(tooLong, limits.MAX_VALUE_LENGTH))
  if (leftOut > 0) warnings.push(tooManyWarning(leftOut, limits.MAX_OBSERVABLES))
  return { observables, warnings }
}
