// Authorization header → the user's C1fApp key (contract §1.2 and §1.3). Two schemes, each on
// when configured: the legacy HS256 token signed with SECRET_KEY, and Threat Response's RS256
// "configuration token", verified against the public keys (JWKS) of the Threat Response region
// named in the token, when that region is on the allow-list. Every failure is an
// `authorization error` with the exact reason Threat Response's other relays give.
import fastifyJwt from '@fastify/jwt'
import type { FastifyRequest } from 'fastify'
import { createDecoder, createVerifier } from 'fast-jwt'
import fp from 'fastify-plugin'
import {
  allowedJwksHost, authorizationError, bearerToken, c1fappKey, checkAudience, claimedDailyLimit, claimedEntitiesLimit, claimedSightings,
  JWKS_PATH, jwksOrigin, tokenKid, REASONS, tokenFailure, tokenScheme
} from '../lib/authorization.js'
import { JwksCache, readKeySet, type KeySet } from '../lib/jwks-cache.js'
import type { SightingsMode } from '../lib/sightings-mode.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook of the authenticated routes: sets request.c1fappKey, request.entitiesLimit, request.dailyLimit and request.sightings, or throws */
    authenticate: (request: FastifyRequest) => Promise<void>
  }
  interface FastifyRequest {
    /** the user's C1fApp key, from the token's `key` claim */
    c1fappKey: string
    /** CTR_ENTITIES_LIMIT for this call: the configuration token's claim, or the environment's */
    entitiesLimit: number
    /** the key's daily limit for this call (contract §6): the token's claim, or the environment's; none: counted, not enforced */
    dailyLimit: number | undefined
    /** C1FAPP_SIGHTINGS for this call: the token's claim (either scheme), or the environment's */
    sightings: SightingsMode
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    namespaces: 'legacy'
  }
}

interface DecodedToken {
  header: Record<string, unknown>
  payload: Record<string, unknown>
}

const decode = createDecoder({ complete: true }) as (token: string) => DecodedToken

/**
 * Tokens whose signature was verified are remembered (fast-jwt's LRU, by a hash of the token) so
 * that Threat Response's repeated calls with the same token skip the signature check: an entry
 * lasts at most 10 minutes and never past the token's `exp`, and a token outside its `nbf`–`exp`
 * window is checked again, so expired and not yet valid tokens are still refused. Failures are
 * not remembered. A configuration token's key set is still consulted on every call, before its
 * verifier (one per key): a key that leaves the set stops its tokens at once.
 */
const VERIFIED_TOKENS = 1000

/** A JWKS is a few keys: anything much larger is no key set, and is not read to its end. */
export const MAX_JWKS_BYTES = 1_048_576

/** One host's key set, over https (http for loopback with JWKS_ALLOW_HTTP), within `timeoutMs`. */
async function fetchKeySet (origin: string, timeoutMs: number): Promise<KeySet> {
  // A redirect is not followed: it could lead off the allow-list.
  const response = await fetch(`${origin}${JWKS_PATH}`, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) })
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length
    if (size > MAX_JWKS_BYTES) throw new Error(`the answer is larger than ${MAX_JWKS_BYTES} bytes`)
    chunks.push(chunk)
  }
  if (response.status !== 200) throw new Error(`HTTP ${response.status}`)
  let document: unknown
  try {
    document = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new Error('the answer is not JSON')
  }
  return readKeySet(document)
}

export default fp(async function auth (fastify) {
  const config = fastify.config
  const on = { legacy: config.SECRET_KEY !== undefined, configuration: config.RELAY_PUBLIC_URL !== undefined }

  if (config.SECRET_KEY !== undefined) {
    await fastify.register(fastifyJwt, { namespace: 'legacy', secret: config.SECRET_KEY, verify: { algorithms: ['HS256'], cache: VERIFIED_TOKENS } })
  }

  // The configuration token's key sets, cached here (lib/jwks-cache.ts says what a flood of
  // unknown kids may cost a host); verifiers are made once per key.
  const jwks = new JwksCache(
    async host => await fetchKeySet(jwksOrigin(host, config.JWKS_ALLOW_HTTP), config.JWKS_TIMEOUT_MS),
    config.JWKS_CACHE_TTL_MS)
  const verifiers = new Map<string, (token: string) => Record<string, unknown>>()
  const verifierOf = (pem: string) => {
    let verify = verifiers.get(pem)
    if (verify === undefined) {
      verify = createVerifier({ key: pem, algorithms: ['RS256'], cache: VERIFIED_TOKENS }) as (token: string) => Record<string, unknown>
      verifiers.set(pem, verify)
    }
    return verify
  }

  /**
   * The verified payload of a configuration token (only called when that scheme is on). The
   * claims that cost nothing to check come first: a token that would be refused anyway never
   * makes the relay fetch a key set.
   */
  async function verifyConfigurationToken (request: FastifyRequest, token: string, { header, payload }: DecodedToken): Promise<Record<string, unknown>> {
    checkAudience(payload, config.RELAY_PUBLIC_URL as string)
    c1fappKey(payload)
    let host: string
    try {
      host = allowedJwksHost(payload, config.JWKS_HOSTS)
    } catch (error) {
      // the host is the client's word: at info, and cut to a host name's length
      if (typeof payload.jwks_host === 'string' && payload.jwks_host !== '') {
        request.log.info({ jwksHost: payload.jwks_host.slice(0, 253), reason: 'not on JWKS_HOSTS: never contacted' }, 'jwks_host refused')
      }
      throw error
    }
    const lookup = await jwks.key(host, tokenKid(header))
    if (!lookup.found) {
      if (lookup.reason === 'kid not found') throw authorizationError(REASONS.kidNotFound)
      request.log.warn({ jwksHost: host, reason: lookup.error }, 'JWKS not fetched')
      throw authorizationError(REASONS.wrongJwksHost)
    }
    if (lookup.pem === undefined) throw authorizationError(REASONS.wrongJwksKey)
    try {
      return verifierOf(lookup.pem)(token)
    } catch (error) {
      // a bad signature has the configuration token's own reason; expired and not yet valid are §1.2's
      throw tokenFailure((error as { code: string }).code, REASONS.wrongJwksKey)
    }
  }

  fastify.decorateRequest('c1fappKey', '')
  fastify.decorateRequest('entitiesLimit', 0)
  fastify.decorateRequest('dailyLimit', undefined)
  fastify.decorateRequest('sightings', config.C1FAPP_SIGHTINGS)

  fastify.decorate('authenticate', async function authenticate (request: FastifyRequest) {
    const token = bearerToken(request.headers.authorization)
    let decoded: DecodedToken
    try {
      decoded = decode(token)
    } catch (error) {
      throw tokenFailure((error as { code: string }).code)
    }
    let payload: Record<string, unknown>
    if (tokenScheme(decoded.header.alg, on) === 'legacy') {
      try {
        payload = fastify.jwt.legacy.verify(token)
      } catch (error) {
        throw tokenFailure((error as { code: string }).code)
      }
      request.c1fappKey = c1fappKey(payload)
      request.entitiesLimit = config.CTR_ENTITIES_LIMIT
    } else {
      payload = await verifyConfigurationToken(request, token, decoded)
      request.c1fappKey = c1fappKey(payload)
      request.entitiesLimit = claimedEntitiesLimit(payload, config.CTR_ENTITIES_LIMIT)
    }
    // both schemes may carry these: the module form's fields, or the legacy token's `jwt --daily-limit` and `--sightings`
    request.dailyLimit = claimedDailyLimit(payload, config.C1FAPP_DAILY_LIMIT)
    request.sightings = claimedSightings(payload, config.C1FAPP_SIGHTINGS)
  })
}, { name: 'auth', fastify: '5.x', dependencies: ['config'] })
