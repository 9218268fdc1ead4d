// C1fApp's daily quota (contract §6), the pure half: a key's day as a UTC bucket, the limit a
// call runs under, how long C1fApp's 429 holds a key back, the analyst's message and Threat
// Response's `quotas` values. clients/quota.ts keeps the counts (in the process or in Redis).
import { positiveInteger } from './entities-limit.js'
import { RelayError } from './relay-error.js'

export const DAY_MS = 86_400_000
/** The largest daily limit a token or the environment may set: beyond every plan C1fApp sells. */
export const MAX_DAILY_LIMIT = 10_000_000

/** The UTC day of `now`: its first millisecond and the first of the next day. */
export function dayOf (now: number): { start: number, end: number } {
  const start = now - (now % DAY_MS)
  return { start, end: start + DAY_MS }
}

/** `2026-12-07`: the day's name in the Redis counters. */
export function dayName (start: number): string {
  return new Date(start).toISOString().slice(0, 10)
}

/**
 * A daily limit from a token's `C1FAPP_DAILY_LIMIT` claim: a positive integer of at most
 * MAX_DAILY_LIMIT, as a number or a string of digits (Threat Response's module form sends an
 * integer field as either). Anything else is unusable, and the caller falls back.
 */
export function dailyLimit (raw: unknown): number | undefined {
  const limit = positiveInteger(raw)
  return limit !== undefined && limit <= MAX_DAILY_LIMIT ? limit : undefined
}

/**
 * When a key that C1fApp answered with 429 may ask again: `Retry-After` (seconds, or an HTTP
 * date) when C1fApp sends one that is usable, else `backoffS`; never more than a day away.
 */
export function retryAt (retryAfter: string | undefined, now: number, backoffS: number): number {
  let waitMs = backoffS * 1000
  const header = retryAfter?.trim() ?? ''
  if (/^\d+$/.test(header)) waitMs = Number(header) * 1000
  else if (header !== '' && !Number.isNaN(Date.parse(header))) waitMs = Math.max(0, Date.parse(header) - now)
  return now + Math.min(waitMs, DAY_MS)
}

/** A key's bucket as the relay knew it at one moment. */
export interface Bucket {
  /** the moment (ms since the epoch) */
  at: number
  /** the day's start and end (ms) */
  start: number
  end: number
  /** requests made with the key today */
  consumption: number
  /** the call's limit, when one is known */
  limit?: number
  /** when the count first reached the limit, or C1fApp's 429 came (ms) */
  reachedAt?: number
  /** no request until then: C1fApp's 429 (ms) */
  heldUntil?: number
}

const atLimit = (bucket: Bucket): boolean => bucket.limit !== undefined && bucket.consumption >= bucket.limit
const held = (bucket: Bucket): boolean => (bucket.heldUntil ?? 0) > bucket.at

/** At the limit, or held back after C1fApp's 429: no request may leave. */
export function isReached (bucket: Bucket): boolean {
  return atLimit(bucket) || held(bucket)
}

/** When requests may leave again: the day's end at the limit, the 429's end when held back, whichever is later. */
export function resumesAt (bucket: Bucket): number {
  return Math.max(atLimit(bucket) ? bucket.end : 0, held(bucket) ? bucket.heldUntil as number : 0)
}

/** The one error of a call whose lookups the quota held back (`fatal` when nothing else was answered: lib/relay-answer.ts). */
export function quotaReached (bucket: Bucket): RelayError {
  const limit = bucket.limit === undefined ? '' : ` of ${bucket.limit} requests`
  const made = `${bucket.consumption} made today`
  const resumes = new Date(resumesAt(bucket)).toISOString()
  return new RelayError('too many requests', held(bucket)
    ? `C1fApp's daily limit${limit} for this key is reached: C1fApp refused a request with HTTP 429 (${made}); no request is made until ${resumes}.`
    : `C1fApp's daily limit${limit} for this key is reached (${made}); it resets at ${resumes}.`)
}

/** `values` of Threat Response's quota (ModuleHealthStatus' `quotas`), for the bucket at `now`. */
export interface QuotaValues {
  bucket_unit: 'day'
  bucket_limit?: number
  current_bucket_consumption: number
  current_bucket_start_time: string
  current_bucket_end_time: string
  current_bucket_limit_reached: boolean
  current_bucket_limit_reached_at?: string
}

export const QUOTA_DESCRIPTION = 'C1fApp API requests of this key today (UTC)' as const

export function quotaValues (bucket: Bucket): QuotaValues {
  const reached = isReached(bucket)
  return {
    bucket_unit: 'day',
    ...(bucket.limit === undefined ? {} : { bucket_limit: bucket.limit }),
    current_bucket_consumption: bucket.consumption,
    current_bucket_start_time: new Date(bucket.start).toISOString(),
    current_bucket_end_time: new Date(bucket.end).toISOString(),
    current_bucket_limit_reached: reached,
    ...(reached && bucket.reachedAt !== undefined ? { current_bucket_limit_reached_at: new Date(bucket.reachedAt).toISOString() } : {})
  }
}
