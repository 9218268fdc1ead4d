// CTR_ENTITIES_LIMIT (contract §3): how many records of each observable become entities. It comes
// from the environment (lib/config.ts) or from a configuration token's claim (lib/authorization.ts).

export const DEFAULT_ENTITIES_LIMIT = 100
export const MAX_ENTITIES_LIMIT = 1000

/**
 * A CTR_ENTITIES_LIMIT from the environment or from a configuration token's claim: a positive
 * integer, as a number or a string of digits; more than 1000 is capped. Anything else is unusable.
 */
export function entitiesLimit (raw: unknown): { limit: number, capped: boolean } | undefined {
  const limit = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN
  if (!Number.isInteger(limit) || limit <= 0) return undefined
  return limit > MAX_ENTITIES_LIMIT ? { limit: MAX_ENTITIES_LIMIT, capped: true } : { limit, capped: false }
}
