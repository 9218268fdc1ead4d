// The label values of the relay's metrics (plugins/metrics.ts): a few fixed words, so that no
// label ever holds a key, a token or an observable value, and every series stays bounded.
import type { RelayError } from './relay-error.js'

/** How a relay call ended, as Threat Response saw it. */
export type CallOutcome = 'ok' | 'partial' | 'error' | 'client_error' | 'server_error'

/**
 * A 200 answer is `ok` (data only), `partial` (data and errors) or `error` (errors only: the
 * envelope's relay-level failures are HTTP 200, contract §1). `envelope` is the answer as the
 * route or the error handler sent it, before serialising: reading it costs nothing, where
 * searching the serialised answer for its `errors` member cost a pass over every byte.
 */
export function callOutcome (statusCode: number, envelope: unknown): CallOutcome {
  if (statusCode >= 500) return 'server_error'
  if (statusCode >= 400) return 'client_error'
  if (typeof envelope !== 'object' || envelope === null || (envelope as { errors?: unknown }).errors === undefined) return 'ok'
  return (envelope as { data?: unknown }).data === undefined ? 'error' : 'partial'
}

/** A C1fApp request's outcome: `records`, `nothing found`, or the error's code (contract §2). */
export function c1fappOutcome (outcome: unknown[] | RelayError): string {
  if (Array.isArray(outcome)) return outcome.length > 0 ? 'records' : 'nothing found'
  return outcome.code
}
