// The configuration token's key sets (contract §1.3), cached per jwks_host by the relay itself.
// Anyone can send a token that names an allow-listed host and a random `kid` before any signature
// is checked, so what such tokens may cost the host is bounded here: one fetch per host in flight,
// an unknown kid re-fetches at most once per UNKNOWN_KID_REFETCH_MS per host (answered from the
// cached set meanwhile), a failed fetch is retried no sooner than FAILED_FETCH_RETRY_MS. A set a
// fresh fetch returns replaces the old one whole (a key it no longer lists is refused from then
// on); a set past its TTL is used only while its host cannot be reached, for at most one TTL more.
// No I/O: the plugin hands in the fetch and the clock.
import { createPublicKey } from 'node:crypto'

/** A newly published key is accepted within this long; a flood of unknown kids costs one fetch per host per this. */
export const UNKNOWN_KID_REFETCH_MS = 30_000
/** After a failed fetch, calls are answered at once (the host is unreachable) for this long. */
export const FAILED_FETCH_RETRY_MS = 5_000

/** A key of the set: its PEM, or undefined when it cannot verify RS256 (not an RSA key, unreadable). */
export type KeySet = Map<string, string | undefined>

export type KeyLookup =
  | { found: true, pem: string | undefined }
  | { found: false, reason: 'kid not found' | 'unreachable', error?: string }

interface HostState {
  keys?: KeySet
  fetchedAt: number
  lastAttempt: number
  lastFailed: boolean
  inFlight?: Promise<void>
  error?: string
}

/** The RSA public keys of a JWKS document by kid; throws when the document is no key set. */
export function readKeySet (document: unknown): KeySet {
  const keys = (document as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys)) throw new Error('the answer is no JWKS (no "keys" list)')
  const set: KeySet = new Map()
  for (const jwk of keys as Array<Record<string, unknown>>) {
    if (typeof jwk?.kid !== 'string' || set.has(jwk.kid)) continue
    set.set(jwk.kid, rsaPem(jwk))
  }
  return set
}

function rsaPem (jwk: Record<string, unknown>): string | undefined {
  if (jwk.kty !== 'RSA') return undefined
  try {
    return createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }).export({ format: 'pem', type: 'spki' }) as string
  } catch {
    return undefined
  }
}

export class JwksCache {
  readonly #hosts = new Map<string, HostState>()

  /**
   * `fetchSet` fetches and reads one host's set (it bounds its own time); `ttlMs` is how long a
   * fetched set is used before it is fetched again; `now` the clock in milliseconds.
   */
  constructor (
    private readonly fetchSet: (host: string) => Promise<KeySet>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now
  ) {}

  /** The PEM of the host's key `kid`, or why there is none. */
  async key (host: string, kid: string): Promise<KeyLookup> {
    const state = this.#state(host)
    if (!this.#fresh(state) || (!state.keys!.has(kid) && this.now() - state.lastAttempt >= UNKNOWN_KID_REFETCH_MS)) {
      if (!state.lastFailed || this.now() - state.lastAttempt >= FAILED_FETCH_RETRY_MS) await this.#refresh(host, state)
    }
    const keys = this.#fresh(state) || this.#staleUsable(state) ? state.keys : undefined
    if (keys === undefined) return { found: false, reason: 'unreachable', error: state.error }
    return keys.has(kid) ? { found: true, pem: keys.get(kid) } : { found: false, reason: 'kid not found' }
  }

  #state (host: string): HostState {
    let state = this.#hosts.get(host)
    if (state === undefined) {
      state = { fetchedAt: 0, lastAttempt: -Infinity, lastFailed: false }
      this.#hosts.set(host, state)
    }
    return state
  }

  #fresh (state: HostState): boolean {
    return state.keys !== undefined && this.now() - state.fetchedAt < this.ttlMs
  }

  /** A set past its TTL, while its host cannot be reached, for at most one TTL more. */
  #staleUsable (state: HostState): boolean {
    return state.keys !== undefined && state.lastFailed && this.now() - state.fetchedAt < 2 * this.ttlMs
  }

  /** One fetch per host at a time: every call that needs it waits for the same one. */
  async #refresh (host: string, state: HostState): Promise<void> {
    state.inFlight ??= (async () => {
      state.lastAttempt = this.now()
      try {
        state.keys = await this.fetchSet(host)
        state.fetchedAt = this.now()
        state.lastFailed = false
        state.error = undefined
      } catch (error) {
        state.lastFailed = true
        state.error = (error as Error).message
      } finally {
        // the next attempt's waits count from the end of this one (a hung host takes JWKS_TIMEOUT_MS)
        state.lastAttempt = this.now()
        state.inFlight = undefined
      }
    })()
    await state.inFlight
  }
}
