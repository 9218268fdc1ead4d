// CTR_ENTITIES_LIMIT (contract §3): how many records of each observable become entities. It comes
// from the environment (lib/config.ts) or from a configuration token's claim (lib/authorization.ts).

export const DEFAULT_ENTITIES_LIMIT = 100
export const MAX_ENTITIES_LIMIT = 1000

/**
 * A whole-number setting from the environment or a token's claim (Threat Response's module form
 * sends an integer field as a number or as a string of digits): the number, if it is a positive
 * integer; anything else is unusable. CTR_ENTITIES_LIMIT's and C1FAPP_DAILY_LIMIT's (lib/quota.ts).
 */
export function positiveInteger (raw: unknown): number | undefined {
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN
  return Number.isInteger(value) && value > 0 ? value : undefined
}

/**
 * A CTR_ENTITIES_LIMIT from the environment or from a configuration token's claim: a positive
 * integer, as a number or a string of digits; more than 1000 is capped. Anything else is unusable.
 */
export function entitiesLimit (raw: unknown): { limit: number, capped: boolean } | undefined {
  const limit = positiveInteger(raw)
  if (limit === undefined) return undefined
  return limit > MAX_ENTITIES_LIMIT ? { limit: MAX_ENTITIES_LIMIT, capped: true } : { limit, capped: false }
}
