// A short-lived circuit breaker per C1fApp key: after repeated upstream trouble (5xx, connection
// errors) the relay stops asking for a while, so a broken C1fApp is not hammered and the analyst
// gets the error at once, with what to do. (C1fApp's 429 holds the key back by the daily quota's
// rules instead: clients/quota.ts.) No I/O: the caller hands in the time.
import { LRUCache } from 'lru-cache'
import { RelayError } from '../relay-error.js'

interface KeyState {
  failures: number
  openUntil: number
  last?: RelayError
}

export class CircuitBreaker {
  readonly #threshold: number
  readonly #cooldownMs: number
  // Bounded: a relay shared by many users keeps the state of the most recent keys only.
  readonly #keys = new LRUCache<string, KeyState>({ max: 10000 })

  readonly #onOpen: (error: RelayError) => void

  /**
   * `threshold` consecutive failures open the breaker for `cooldownMs`; 0 turns it off. `onOpen`
   * hears of each opening (the plugin logs it: a key that keeps failing is the owner's problem).
   */
  constructor (threshold: number, cooldownMs: number, onOpen: (error: RelayError) => void) {
    this.#threshold = threshold
    this.#cooldownMs = cooldownMs
    this.#onOpen = onOpen
  }

  /** The error to answer at once while the breaker is open for this key, else undefined. */
  check (key: string, now: number): RelayError | undefined {
    const state = this.#keys.get(key)
    if (state === undefined || state.openUntil <= now) return undefined
    const seconds = Math.ceil((state.openUntil - now) / 1000)
    return new RelayError(state.last!.code,
      `${state.last!.message} (${state.failures} failures in a row: C1fApp seems to be down or unreachable; the relay asks C1fApp again in ${seconds} s)`)
  }

  /** How many keys are paused at `now` (read only: the metrics' gauge). */
  openCount (now: number): number {
    let open = 0
    for (const state of this.#keys.values()) if (state.openUntil > now) open += 1
    return open
  }

  failure (key: string, error: RelayError, now: number): void {
    if (this.#threshold === 0) return
    const state = this.#keys.get(key) ?? { failures: 0, openUntil: 0 }
    state.failures += 1
    state.last = error
    if (state.failures >= this.#threshold) {
      state.openUntil = now + this.#cooldownMs
      this.#onOpen(error)
    }
    this.#keys.set(key, state)
  }

  success (key: string): void {
    this.#keys.delete(key)
  }
}
