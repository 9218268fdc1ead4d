// What the analyst is told when the relay refuses a call it cannot serve well: overloaded (the
// thresholds of @fastify/under-pressure), or shutting down. Pure: plugins/load-shedding.ts decides when.
import { ownerSetting, RelayError } from './relay-error.js'

/** Seconds a client is asked to wait (Retry-After): a few of under-pressure's one-second samples. */
export const RETRY_AFTER_SECONDS = 5

export interface PressureLimits {
  MAX_EVENT_LOOP_DELAY_MS: number
  MAX_HEAP_USED_BYTES: number
  MAX_RSS_BYTES: number
}

const MIB = 1024 * 1024

function mebibytes (bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MiB`
}

/** `type` and `value` as @fastify/under-pressure hands them to its pressureHandler. */
export function overloadError (type: string, value: number | undefined, limits: PressureLimits): RelayError {
  const measure = value ?? Number.NaN
  const reasons: Record<string, string> = {
    // under-pressure reports Infinity when the loop was blocked through a whole sample
    eventLoopDelay: `event-loop delay ${Number.isFinite(measure) ? `${Math.round(measure)} ms` : 'too long to measure'}, over ${ownerSetting(`MAX_EVENT_LOOP_DELAY_MS=${limits.MAX_EVENT_LOOP_DELAY_MS}`)}`,
    heapUsedBytes: `heap used ${mebibytes(measure)}, over ${ownerSetting(`MAX_HEAP_USED_BYTES=${limits.MAX_HEAP_USED_BYTES}`)}`,
    rssBytes: `resident memory ${mebibytes(measure)}, over ${ownerSetting(`MAX_RSS_BYTES=${limits.MAX_RSS_BYTES}`)}`
  }
  const reason = reasons[type] ?? type
  return new RelayError('too many requests', `The relay is overloaded (${reason}); try again in a moment.`)
}

export const SHUTTING_DOWN_MESSAGE = 'The relay is shutting down; try again in a moment.'

export function shuttingDownError (): RelayError {
  return new RelayError('unknown', SHUTTING_DOWN_MESSAGE)
}
