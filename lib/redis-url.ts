// What of CACHE_REDIS_URL may reach a log: everything but the password.

/** The URL with its password (if any) replaced by `***`; config.ts has checked that it parses. */
export function redactedRedisUrl (url: string): string {
  const parsed = new URL(url)
  if (parsed.password !== '') parsed.password = '***'
  return parsed.href
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
