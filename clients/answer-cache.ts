// The answer cache: C1fApp's answers kept for CACHE_TTL_S, per user key and value: in the process
// (an LRU bounded by CACHE_MAX_MB, which keeps what was read from each answer), or with
// CACHE_REDIS_URL as text in a Redis or Valkey that every replica and Lambda instance shares, so a
// user's daily quota is spent once per value whatever instance answers. Identical lookups in
// flight in one process are made once.
// Redis is a help, never a failure: any trouble with it (down, slow, full, garbage) answers the
// lookup as without a cache, within CACHE_REDIS_TIMEOUT_MS per command, with a warning
// (clients/redis.ts). Nothing read from Redis is trusted more than C1fApp would be
// (lib/cache-entry.ts): an entry whose size, HMAC or expiry is wrong is ignored, counted as a cache
// error, and replaced.
import { LRUCache } from 'lru-cache'
import { ENTRY_OVERHEAD_BYTES, entryKey, entryName, openEntry, sealEntry } from '../lib/cache-entry.js'
import type { RelayConfig } from '../lib/config.js'
import type { SharedRedis } from './redis.js'

export interface AnswerCache {
  /**
   * `read` of the body kept under `name()` (a hash: never a key or a value; only a cache that keeps
   * entries asks for it, so no cache costs no hash), else of `load`'s, which is kept when `load`
   * succeeds. A kept body that `read` refuses is garbage: loaded again. Where
   * `keepsReads`, what `read` gave is kept instead of the body and is what every later fetch of
   * the entry gives: `read` must be the same function of the body in every call.
   */
  fetch: <T>(name: () => string, load: () => Promise<string>, read: (body: string) => T) => Promise<T>
  /** the in-process cache keeps what `read` gave; the shared one can only keep text */
  keepsReads: boolean
}

/** What the cache counts (plugins/metrics.ts), by the cache's kind. */
export interface CacheMetrics {
  cacheHit: (kind: CacheKind) => void
  cacheMiss: (kind: CacheKind) => void
  cacheError: (kind: CacheKind) => void
}

export type CacheKind = 'memory' | 'redis'

/** No cache (CACHE_TTL_S=0): every lookup loads. */
export const NO_CACHE: AnswerCache = { fetch: async (_name, load, read) => read(await load()), keepsReads: false }

/** Keys of the relay's entries in a shared Redis. */
export const REDIS_KEY_PREFIX = 'c1fapp-relay:answer:'

/**
 * What an in-process entry holds, for each byte of C1fApp's answer: the records read from it (about
 * two bytes) and what the mapping wrote from them (about one), measured on the simulator's data set.
 */
export const ENTRY_BYTES_PER_ANSWER_BYTE = 3

/** An in-process entry: the answer's body until it is read, then what was read from it. */
interface Entry { body: string, read?: unknown }

function memoryCache (config: RelayConfig, metrics: CacheMetrics, clock?: () => number): AnswerCache {
  const lru = new LRUCache<string, Entry, () => Promise<string>>({
    ttl: config.CACHE_TTL_S * 1000,
    // A test's clock (ConfigReading's) ages the entries, so that expiry is tested without waiting;
    // it jumps, so it is read at every lookup rather than once a millisecond.
    ...(clock === undefined ? {} : { perf: { now: clock }, ttlResolution: 0 }),
    maxSize: config.CACHE_MAX_MB * 1024 * 1024,
    sizeCalculation: ({ body }) => Math.max(1, body.length * ENTRY_BYTES_PER_ANSWER_BYTE),
    fetchMethod: async (_id, _stale, { context }) => ({ body: await context() }),
    // An entry evicted while its answer is in flight (others filled the cache meanwhile) must
    // still answer the calls waiting for it; by default lru-cache aborts them.
    ignoreFetchAbort: true
  })
  return {
    async fetch (name, load, read) {
      const id = name()
      const status: LRUCache.Status<string, Entry, () => Promise<string>> = {}
      const pending = lru.fetch(id, { context: load, status })
      if (status.fetch === 'hit' || status.fetch === 'inflight') metrics.cacheHit('memory')
      else metrics.cacheMiss('memory')
      const entry = await pending as Entry
      if (entry.read === undefined) {
        entry.read = read(entry.body)
        entry.body = ''
      }
      return entry.read as ReturnType<typeof read>
    },
    keepsReads: true
  }
}

function redisCache ({ client, trouble }: SharedRedis, config: RelayConfig, metrics: CacheMetrics): AnswerCache {
  // config.ts requires one of the two with CACHE_REDIS_URL
  const signing = entryKey((config.SECRET_KEY ?? config.CACHE_REDIS_SECRET) as string)
  // An entry holds at most C1FAPP_MAX_ANSWER_BYTES of C1fApp's answer (what the client reads) and
  // its header: a larger one is not the relay's, and is not read past this many bytes.
  const maxEntryBytes = config.C1FAPP_MAX_ANSWER_BYTES + ENTRY_OVERHEAD_BYTES
  const inFlight = new Map<string, Promise<string>>()
  async function obtain (id: string, load: () => Promise<string>, read: (body: string) => unknown): Promise<string> {
    const key = entryName(REDIS_KEY_PREFIX, config.C1FAPP_API_URL, id)
    try {
      // One byte more than an entry may hold tells an oversized one, without reading it whole.
      const kept = await client.getrangeBuffer(key, 0, maxEntryBytes)
      if (kept.length > maxEntryBytes) trouble(new Error(`an entry larger than ${maxEntryBytes} bytes under ${key}`), 'read')
      else if (kept.length > 0) {
        const opened = openEntry(signing, key, kept, Date.now())
        if ('problem' in opened) trouble(new Error(`${opened.problem} under ${key}`), 'read')
        else {
          try {
            read(opened.body)
            metrics.cacheHit('redis')
            return opened.body
          } catch {
            trouble(new Error(`an unreadable entry under ${key}`), 'read')
          }
        }
      }
    } catch (error) {
      trouble(error as Error, 'read')
    }
    metrics.cacheMiss('redis')
    const body = await load()
    // An answer that was no UTF-8 can grow when written back as text: its entry is then read as
    // oversized, and replaced, at the cost of C1fApp's quota only.
    const ttlMs = config.CACHE_TTL_S * 1000
    await client.set(key, sealEntry(signing, key, Date.now() + ttlMs, body), 'PX', ttlMs).catch((error: Error) => trouble(error, 'write'))
    return body
  }
  return {
    async fetch (name, load, read) {
      const id = name()
      let pending = inFlight.get(id)
      if (pending !== undefined) metrics.cacheHit('redis')
      else {
        pending = obtain(id, load, read).finally(() => inFlight.delete(id))
        inFlight.set(id, pending)
      }
      return read(await pending)
    },
    keepsReads: false
  }
}

/** The answer cache `config` asks for: none, the in-process LRU, or the shared Redis (CACHE_REDIS_URL's connection). */
export function createAnswerCache (config: RelayConfig, metrics: CacheMetrics, redis?: SharedRedis, clock?: () => number): AnswerCache {
  if (config.CACHE_TTL_S === 0) return NO_CACHE
  if (redis === undefined) return memoryCache(config, metrics, clock)
  return redisCache(redis, config, metrics)
}
