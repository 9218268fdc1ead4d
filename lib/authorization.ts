// The pure half of authorization (contract §1.2 and §1.3): the reasons Threat Response's relays
// give, which scheme a token asks for, and the checks of the configuration token's claims.
// plugins/auth.ts does the I/O (the JWKS) and the signature checks, with @fastify/jwt.
import { isIPv4 } from 'node:net'
import { entitiesLimit } from './entities-limit.js'
import { dailyLimit } from './quota.js'
import { RelayError } from './relay-error.js'
import { sightingsMode, type SightingsMode } from './sightings-mode.js'

export const REASONS = {
  noHeader: 'Authorization header is missing',
  wrongType: 'Wrong authorization type',
  wrongStructure: 'Wrong JWT structure',
  wrongKey: 'Failed to decode JWT with provided key',
  wrongPayload: 'Wrong JWT payload structure',
  expired: 'The JWT has expired (its exp claim has passed); make a new one',
  notYetValid: 'The JWT is not valid yet (its nbf claim has not come); check the clocks',
  jwksHostMissing: 'jwks_host is missing in JWT payload. Make sure custom_jwks_host field is present in module_type',
  wrongJwksHost: 'Wrong jwks_host in JWT payload. Make sure domain follows the visibility.<region>.cisco.com structure',
  kidNotFound: 'kid from JWT header not found in API response',
  wrongJwksKey: 'Failed to decode JWT with provided key. Make sure domain in custom_jwks_host corresponds to your SecureX instance region.',
  wrongAudience: 'Wrong configuration-token-audience'
} as const

export function authorizationError (reason: string): RelayError {
  return new RelayError('authorization error', `Authorization failed: ${reason}`)
}

/** The token of `Authorization: Bearer <token>`. */
export function bearerToken (header: string | undefined): string {
  // `Bearer` with nothing after it is a missing token, not another scheme
  if (header === undefined || /^\s*(bearer\s*)?$/i.test(header)) throw authorizationError(REASONS.noHeader)
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header)
  if (match === null) throw authorizationError(REASONS.wrongType)
  return match[1]
}

/** The C1fApp key of a verified payload. */
export function c1fappKey (payload: unknown): string {
  const key = (payload as { key?: unknown }).key
  if (typeof key !== 'string' || key === '') throw authorizationError(REASONS.wrongPayload)
  return key
}

const DECODE_STRUCTURE_ERRORS = new Set(['FAST_JWT_MALFORMED', 'FAST_JWT_INVALID_TYPE'])

/**
 * A fast-jwt decoding or verification failure, in §1.2's words; `wrongKey` is the reason for a
 * signature that does not verify (the configuration token has its own). fast-jwt checks the
 * signature before exp and nbf, so only a genuine token is ever told it has expired.
 */
export function tokenFailure (code: string, wrongKey: string = REASONS.wrongKey): RelayError {
  if (DECODE_STRUCTURE_ERRORS.has(code)) return authorizationError(REASONS.wrongStructure)
  if (code === 'FAST_JWT_INVALID_PAYLOAD') return authorizationError(REASONS.wrongPayload)
  if (code === 'FAST_JWT_EXPIRED') return authorizationError(REASONS.expired)
  if (code === 'FAST_JWT_INACTIVE') return authorizationError(REASONS.notYetValid)
  return authorizationError(wrongKey)
}

export type Scheme = 'legacy' | 'configuration'

/**
 * The scheme a token asks for by its (unverified) `alg`, if that scheme is on: HS256 is the
 * legacy scheme (SECRET_KEY), RS256 the configuration token (RELAY_PUBLIC_URL). Deciding here,
 * before any key is chosen, is what refuses algorithm confusion: an HS256 token is never checked
 * against a public key, an RS256 one never against the secret, and `none` against nothing.
 */
export function tokenScheme (alg: unknown, on: { legacy: boolean, configuration: boolean }): Scheme {
  if (alg === 'HS256' && on.legacy) return 'legacy'
  if (alg === 'RS256' && on.configuration) return 'configuration'
  throw authorizationError(REASONS.wrongKey)
}

/** The token's `jwks_host`, lowercased, if it is on the allow-list; nothing off it is ever contacted. */
export function allowedJwksHost (payload: Record<string, unknown>, allowList: readonly string[]): string {
  const host = payload.jwks_host
  if (typeof host !== 'string' || host === '') throw authorizationError(REASONS.jwksHostMissing)
  const lowered = host.toLowerCase()
  if (!allowList.includes(lowered)) throw authorizationError(REASONS.wrongJwksHost)
  return lowered
}

/** The token header's `kid`: without one no key of the set can be chosen. */
export function tokenKid (header: Record<string, unknown>): string {
  const kid = header.kid
  if (typeof kid !== 'string' || kid === '') throw authorizationError(REASONS.kidNotFound)
  return kid
}

/** 127.0.0.0/8, localhost or [::1], with an optional port. */
export function isLoopbackHost (host: string): boolean {
  const name = /^(.*?)(?::\d+)?$/.exec(host)![1]
  if (name === 'localhost' || name === '[::1]') return true
  return isIPv4(name) && name.startsWith('127.')
}

/** Where a host's JWKS lives: https, or http for a loopback host when JWKS_ALLOW_HTTP is on. */
export function jwksOrigin (host: string, allowHttp: boolean): string {
  return `${allowHttp && isLoopbackHost(host) ? 'http' : 'https'}://${host}`
}

export const JWKS_PATH = '/.well-known/jwks'

/**
 * `aud` must name this relay. Threat Response writes the module's URL as the owner typed it,
 * so one trailing slash more or less on either side is the same URL.
 */
export function checkAudience (payload: Record<string, unknown>, publicUrl: string): void {
  const trim = (url: string) => url.replace(/\/$/, '')
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud]
  if (!audiences.some(aud => typeof aud === 'string' && trim(aud) === trim(publicUrl))) {
    throw authorizationError(REASONS.wrongAudience)
  }
}

/**
 * The claims of a token that the relay honours: each is a setting of the module's form
 * (module_type.json's `custom_<claim>` fields, which Threat Response puts into the token without
 * the prefix), read by the function of that name below or in plugins/auth.ts.
 */
export const SETTING_CLAIMS = ['key', 'CTR_ENTITIES_LIMIT', 'C1FAPP_SIGHTINGS', 'C1FAPP_DAILY_LIMIT'] as const

/** The token's C1FAPP_SIGHTINGS claim (either scheme), or the environment's when it is absent or unusable. */
export function claimedSightings (payload: Record<string, unknown>, fallback: SightingsMode): SightingsMode {
  return sightingsMode(payload.C1FAPP_SIGHTINGS) ?? fallback
}

/** The token's C1FAPP_DAILY_LIMIT claim (either scheme), or the environment's (perhaps none) when it is absent or unusable. */
export function claimedDailyLimit (payload: Record<string, unknown>, fallback: number | undefined): number | undefined {
  return dailyLimit(payload.C1FAPP_DAILY_LIMIT) ?? fallback
}

/** The configuration token's CTR_ENTITIES_LIMIT claim, or the environment's limit when it is absent or unusable. */
export function claimedEntitiesLimit (payload: Record<string, unknown>, fallback: number): number {
  return entitiesLimit(payload.CTR_ENTITIES_LIMIT)?.limit ?? fallback
}
