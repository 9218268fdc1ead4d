// What of CACHE_REDIS_URL may reach a log: where Redis is, never who logs in or how. ioredis also
// takes a password from the query (`?password=…`) and options from it, so nothing of the URL is
// copied but its scheme, host, port and database.

/** `scheme://host:port/db` of a redis:// or rediss:// URL; config.ts has checked that it parses. */
export function redisLocation (url: string): string {
  const parsed = new URL(url)
  // ioredis' defaults: port 6379, database 0 (or the query's `db`)
  const query = parsed.searchParams.get('db') ?? ''
  const db = /^\/(\d+)/.exec(parsed.pathname)?.[1] ?? (/^\d+$/.test(query) ? query : '0')
  return `${parsed.protocol}//${parsed.hostname}:${parsed.port === '' ? '6379' : parsed.port}/${db}`
}

/** What start-up logs of where answers come from and are kept: no secret, no query, no user. */
export function upstreamsInUse (config: { C1FAPP_API_URL: string, CACHE_TTL_S: number, CACHE_REDIS_URL?: string }): Record<string, string> {
  const endpoint = new URL(config.C1FAPP_API_URL)
  const c1fappApiUrl = endpoint.origin + endpoint.pathname
  if (config.CACHE_TTL_S === 0) return { c1fappApiUrl, cache: 'none' }
  if (config.CACHE_REDIS_URL === undefined) return { c1fappApiUrl, cache: 'memory' }
  return { c1fappApiUrl, cache: 'redis', redis: redisLocation(config.CACHE_REDIS_URL) }
}

/**
 * A gate for warnings about one recurring trouble: the first passes at once, then at most one per
 * `intervalMs`, telling how many were held back meanwhile; `reset` once the trouble is over.
 */
export class WarningGate {
  readonly #intervalMs: number
  #last = Number.NEGATIVE_INFINITY
  #held = 0

  constructor (intervalMs: number) {
    this.#intervalMs = intervalMs
  }

  /** undefined to hold the warning back, else how many were held back before it */
  pass (now: number): number | undefined {
    if (now - this.#last < this.#intervalMs) {
      this.#held += 1
      return undefined
    }
    const held = this.#held
    this.#last = now
    this.#held = 0
    return held
  }

  /** whether a warning has passed since the last reset */
  get troubled (): boolean {
    return this.#last !== Number.NEGATIVE_INFINITY
  }

  reset (): void {
    this.#last = Number.NEGATIVE_INFINITY
    this.#held = 0
  }
}
