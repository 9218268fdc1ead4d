// The label values of the relay's metrics (plugins/metrics.ts): a few fixed words, so that no
// label ever holds a key, a token or an observable value, and every series stays bounded.
import type { RelayError } from './relay-error.js'

/** How a relay call ended, as Threat Response saw it: `failure` is a response action that failed (respond/trigger). */
export type EnvelopeOutcome = 'ok' | 'partial' | 'error' | 'failure'
export type CallOutcome = EnvelopeOutcome | 'client_error' | 'server_error'

/**
 * What an answer object says: `ok` (data only), `partial` (data and errors), `error` (errors only),
 * or `failure` (`{"data":{"status":"failure"}}`, respond/trigger's answer, contract §1); null when it
 * is no envelope.
 */
export function envelopeOutcome (answer: unknown): EnvelopeOutcome | null {
  if (typeof answer !== 'object' || answer === null) return null
  if ((answer as { errors?: unknown }).errors === undefined) {
    return (answer as { data?: { status?: unknown } }).data?.status === 'failure' ? 'failure' : 'ok'
  }
  return (answer as { data?: unknown }).data === undefined ? 'error' : 'partial'
}

/**
 * A 200 answer is `ok`, `partial` or `error` as its envelope says (the envelope's relay-level
 * failures are HTTP 200, contract §1): `envelope` is envelopeOutcome of the answer as the route or
 * the error handler sent it, before serialising, which costs nothing, where searching the
 * serialised answer for its `errors` member cost a pass over every byte. Anything else is `ok`.
 */
export function callOutcome (statusCode: number, envelope: EnvelopeOutcome | null): CallOutcome {
  if (statusCode >= 500) return 'server_error'
  if (statusCode >= 400) return 'client_error'
  return envelope ?? 'ok'
}

/** A C1fApp request's outcome, from the records it answered or its error: `records`, `nothing found`, or the error's code (contract §2). */
export function c1fappOutcome (outcome: number | RelayError): string {
  if (typeof outcome === 'number') return outcome > 0 ? 'records' : 'nothing found'
  return outcome.code
}
