// The one connection to the Redis or Valkey of CACHE_REDIS_URL, shared by the answer cache
// (clients/answer-cache.ts) and the daily quota's counters (clients/quota.ts). Redis is a help,
// never a failure: a command fails fast while it is away (the caller does without it), every
// failure is counted, and logged at once, then at most once a minute while the trouble lasts.
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'
import type { RelayConfig } from '../lib/config.js'
import { redisLocation, WarningGate } from '../lib/redis-url.js'

/** Redis trouble is logged at once, then at most once a minute while it lasts. */
export const REDIS_WARNING_INTERVAL_MS = 60000

export interface SharedRedis {
  client: Redis
  /** counts one failure of `doing` (a Redis error: never a key or a value) and logs it, gated */
  trouble: (error: Error, doing: string) => void
  close: () => void
}

/** What the connection counts (plugins/metrics.ts): each Redis failure. */
export interface RedisMetrics {
  cacheError: (kind: 'redis') => void
}

/** A connection to `url`, waited for a moment at start-up; a Redis that is down delays nothing more. */
export async function connectRedis (url: string, config: RelayConfig, log: FastifyBaseLogger, metrics: RedisMetrics): Promise<SharedRedis> {
  // loaded only when Redis is configured: every new Lambda instance would pay for it
  // tsx (tap's loader) wraps import() in an interop helper whose other branch no source line has
  /* c8 ignore next */
  const { Redis } = await import('ioredis')
  const redis = redisLocation(url)
  const client = new Redis(url, {
    connectionName: 'c1fapp-relay',
    connectTimeout: Math.max(config.CACHE_REDIS_TIMEOUT_MS, 1000),
    commandTimeout: config.CACHE_REDIS_TIMEOUT_MS,
    // While Redis is away a command fails at once (the caller does without it) instead of queueing.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // Reconnect for ever, at most a second apart: Redis is used again soon after it is back.
    retryStrategy: (times: number) => Math.min(100 * times, 1000)
  })
  const gate = new WarningGate(REDIS_WARNING_INTERVAL_MS)
  const trouble = (error: Error, doing: string): void => {
    metrics.cacheError('redis')
    const held = gate.pass(Date.now())
    // error.message only: ioredis' errors carry the command's arguments (a cached answer).
    if (held !== undefined) log.warn({ redis, reason: error.message, held }, `Redis unusable (${doing}): the cache asks C1fApp directly, the quota counts in this process`)
  }
  client.on('error', (error: Error) => trouble(error, 'connection'))
  client.on('ready', () => {
    if (gate.troubled) log.info({ redis }, 'Redis is back')
    gate.reset()
  })
  // Start-up waits a moment for the connection, so the first calls use it.
  await Promise.race([once(client, 'ready').catch(() => {}), sleep(config.CACHE_REDIS_TIMEOUT_MS)])
  return { client, trouble, close: () => client.disconnect() }
}
