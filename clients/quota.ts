// Each key's day of C1fApp requests (contract §6): counted before every request, in Redis where
// CACHE_REDIS_URL is set (one counter per key hash and day, shared by every replica and Lambda
// instance), else in the process. While Redis is away, slow or full, the process goes on counting
// from the last shared count it saw: nothing fails because of the quota's bookkeeping.
// Keys are known by a hash (`id`), never by themselves. The limit is the call's (lib/quota.ts).
import type { Redis } from 'ioredis'
import { LRUCache } from 'lru-cache'
import type { RelayConfig } from '../lib/config.js'
import { dayName, dayOf, retryAt, type Bucket } from '../lib/quota.js'
import type { SharedRedis } from './redis.js'

export interface DailyQuota {
  /** whether one more request may leave with the key under `limit` (none: always); counted when it may */
  take: (id: string, limit: number | undefined) => Promise<boolean>
  /** C1fApp refused the key for its quota (429, with this Retry-After): no request for a while */
  hold: (id: string, retryAfter: string | undefined) => Promise<void>
  /** the key's bucket now, under `limit` */
  bucket: (id: string, limit: number | undefined) => Promise<Bucket>
  /** C1fApp answered the key: /health trusts it for HEALTH_TRUST_S */
  accepted: (id: string) => void
  /** C1fApp refused the key itself (401, 403): trusted no more */
  refused: (id: string) => void
  /** whether C1fApp answered the key within HEALTH_TRUST_S (in any replica, with Redis) */
  trusted: (id: string) => Promise<boolean>
}

/** Names of the quota's values in a shared Redis (what deploy/redis.yaml's ACL user may touch). */
export const QUOTA_KEY_PREFIX = 'c1fapp-relay:quota:'
export const HEALTH_KEY_PREFIX = 'c1fapp-relay:health:'

/** Keys whose day one process keeps in memory; the least recently used beyond are forgotten. */
export const KEYS_KEPT = 10000

/** A counter lives a minute past its day, for a replica whose clock is a little behind. */
const DAY_GRACE_MS = 60000

/** What the process knows of one key. */
interface KeyDay {
  /** the UTC day counted */
  start: number
  count: number
  reachedAt?: number
  heldUntil?: number
  heldAt?: number
  trustedUntil?: number
}

// One round trip, atomic across replicas: a request is counted only while the key is neither held
// back nor at its limit, and the moment the limit is reached is written once.
const TAKE = `
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local limit = tonumber(ARGV[1])
if limit > 0 and count >= limit then
  redis.call('SET', KEYS[2], ARGV[3], 'NX', 'PXAT', ARGV[2])
  return -1
end
count = redis.call('INCR', KEYS[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
if limit > 0 and count >= limit then redis.call('SET', KEYS[2], ARGV[3], 'NX', 'PXAT', ARGV[2]) end
return count`

interface QuotaRedis extends Redis {
  takeQuota: (counter: string, reached: string, held: string, limit: number, expireAt: number, now: number) => Promise<number>
}

/** `held`'s value: until when, and since when (ms). */
const heldValue = (until: number, at: number): string => `${until}:${at}`

/** The quota of `config`, in `redis` when given; `clock` tells the time (ms since the epoch: a test's own, or Date.now). */
export function createDailyQuota (config: RelayConfig, redis?: SharedRedis, clock: () => number = Date.now): DailyQuota {
  const days = new LRUCache<string, KeyDay>({ max: KEYS_KEPT })
  const trustMs = config.HEALTH_TRUST_S * 1000
  const shared = redis?.client as QuotaRedis | undefined
  shared?.defineCommand('takeQuota', { numberOfKeys: 3, lua: TAKE })

  /** the process' own record of the key, on `now`'s day */
  function known (id: string, now: number): KeyDay {
    const { start } = dayOf(now)
    let day = days.get(id)
    if (day === undefined) days.set(id, day = { start, count: 0 })
    if (day.start !== start) Object.assign(day, { start, count: 0, reachedAt: undefined })
    return day
  }
  const names = (id: string, now: number) => {
    const { start, end } = dayOf(now)
    const counter = `${QUOTA_KEY_PREFIX}${id}:${dayName(start)}`
    return { counter, reached: `${counter}:reached`, held: `${QUOTA_KEY_PREFIX}${id}:held`, expireAt: end + DAY_GRACE_MS }
  }

  function takeHere (day: KeyDay, limit: number | undefined, now: number): boolean {
    if ((day.heldUntil ?? 0) > now) return false
    if (limit !== undefined && day.count >= limit) {
      day.reachedAt ??= now
      return false
    }
    day.count += 1
    if (limit !== undefined && day.count >= limit) day.reachedAt ??= now
    return true
  }

  return {
    async take (id, limit) {
      const now = clock()
      const day = known(id, now)
      if (shared !== undefined) {
        const { counter, reached, held, expireAt } = names(id, now)
        try {
          const count = await shared.takeQuota(counter, reached, held, limit ?? 0, expireAt, now)
          if (count < 0) return false
          day.count = count
          return true
        } catch (error) {
          redis?.trouble(error as Error, 'quota count')
        }
      }
      return takeHere(day, limit, now)
    },

    async hold (id, retryAfter) {
      const now = clock()
      const until = retryAt(retryAfter, now, config.C1FAPP_QUOTA_BACKOFF_S)
      Object.assign(known(id, now), { heldUntil: until, heldAt: now })
      if (shared === undefined) return
      await shared.set(names(id, now).held, heldValue(until, now), 'PXAT', until)
        .catch((error: Error) => redis?.trouble(error, 'quota hold'))
    },

    async bucket (id, limit) {
      const now = clock()
      const day = known(id, now)
      if (shared !== undefined) {
        const { counter, reached, held } = names(id, now)
        try {
          const [count, reachedAt, heldBy] = await shared.mget(counter, reached, held)
          // the shared day, taken as the process' own from now on (a value that is no number holds nothing back)
          Object.assign(day, { count: Math.max(day.count, Number(count ?? 0)), reachedAt: reachedAt === null ? day.reachedAt : Number(reachedAt) })
          if (heldBy !== null) {
            const [until, at] = heldBy.split(':').map(Number)
            Object.assign(day, { heldUntil: until, heldAt: at })
          }
        } catch (error) {
          redis?.trouble(error as Error, 'quota read')
        }
      }
      const { start, end } = dayOf(now)
      const held = (day.heldUntil ?? 0) > now
      // a limit a token lowered below today's count is reached now, if not before
      if (limit !== undefined && day.count >= limit) day.reachedAt ??= now
      const reachedAt = [limit !== undefined && day.count >= limit ? day.reachedAt : undefined, held ? day.heldAt : undefined]
        .filter(at => at !== undefined).sort((a, b) => a - b)[0]
      return {
        at: now,
        start,
        end,
        consumption: day.count,
        ...(limit === undefined ? {} : { limit }),
        ...(reachedAt === undefined ? {} : { reachedAt }),
        ...(held ? { heldUntil: day.heldUntil } : {})
      }
    },

    accepted (id) {
      if (trustMs === 0) return
      const now = clock()
      known(id, now).trustedUntil = now + trustMs
      shared?.set(HEALTH_KEY_PREFIX + id, String(now + trustMs), 'PX', trustMs).catch((error: Error) => redis?.trouble(error, 'health mark'))
    },

    refused (id) {
      known(id, clock()).trustedUntil = undefined
      shared?.del(HEALTH_KEY_PREFIX + id).catch((error: Error) => redis?.trouble(error, 'health mark'))
    },

    async trusted (id) {
      if (trustMs === 0) return false
      const now = clock()
      const day = known(id, now)
      if ((day.trustedUntil ?? 0) > now) return true
      if (shared === undefined) return false
      try {
        const until = Number(await shared.get(HEALTH_KEY_PREFIX + id))
        if (until > now) day.trustedUntil = until
        return until > now
      } catch (error) {
        redis?.trouble(error as Error, 'health mark')
        return false
      }
    }
  }
}
