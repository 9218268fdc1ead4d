// Authorization header → the user's C1fApp key (contract §1.2 and §1.3). Two schemes, each on
// when configured: the legacy HS256 token signed with SECRET_KEY, and Threat Response's RS256
// "configuration token", verified against the public keys (JWKS) of the Threat Response region
// named in the token, when that region is on the allow-list. Every failure is an
// `authorization error` with the exact reason Threat Response's other relays give.
import fastifyJwt from '@fastify/jwt'
import type { FastifyRequest } from 'fastify'
import { createDecoder } from 'fast-jwt'
import fp from 'fastify-plugin'
import buildGetJwks from 'get-jwks'
import {
  allowedJwksHost, authorizationError, bearerToken, c1fappKey, checkAudience, claimedEntitiesLimit,
  JWKS_PATH, jwksOrigin, keyId, REASONS, tokenFailure, tokenScheme
} from '../lib/authorization.js'
import { RelayError } from '../lib/relay-error.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook of the authenticated routes: sets request.c1fappKey and request.entitiesLimit, or throws */
    authenticate: (request: FastifyRequest) => Promise<void>
  }
  interface FastifyRequest {
    /** the user's C1fApp key, from the token's `key` claim */
    c1fappKey: string
    /** CTR_ENTITIES_LIMIT for this call: the configuration token's claim, or the environment's */
    entitiesLimit: number
    /** @fastify/jwt's verification of a configuration token (its key resolved from the JWKS) */
    configurationTokenVerify: import('@fastify/jwt').JwtVerifyFunction
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    namespaces: 'legacy' | 'configuration'
  }
}

interface DecodedToken {
  header: Record<string, unknown>
  payload: Record<string, unknown>
}

const decode = createDecoder({ complete: true }) as (token: string) => DecodedToken

/** Resolves a promise, or rejects once `ms` have passed. */
async function within<T> (promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

export default fp(async function auth (fastify) {
  const config = fastify.config
  const on = { legacy: config.SECRET_KEY !== undefined, configuration: config.RELAY_PUBLIC_URL !== undefined }

  if (config.SECRET_KEY !== undefined) {
    await fastify.register(fastifyJwt, { namespace: 'legacy', secret: config.SECRET_KEY, verify: { algorithms: ['HS256'] } })
  }

  if (config.RELAY_PUBLIC_URL !== undefined) {
    // get-jwks caches each key (with its fetch in flight) for the TTL and fetches the set again
    // when a kid it does not hold appears: a new Threat Response key is picked up at once. Its
    // own `timeout` option does nothing with Node's fetch, hence `within` below; a fetch that
    // outlives it keeps its cache entry, so a hung host costs one fetch per kid, not one per call.
    const origins = config.JWKS_HOSTS.map(host => jwksOrigin(host, config.JWKS_ALLOW_HTTP))
    const jwks = buildGetJwks({ jwksPath: JWKS_PATH, ttl: config.JWKS_CACHE_TTL_MS, issuersWhitelist: origins })

    /** The PEM of the token's key, from the JWKS of its allow-listed jwks_host. */
    const publicKey = async function publicKey (request: FastifyRequest, token: unknown): Promise<string> {
      const { header, payload } = token as DecodedToken
      const host = allowedJwksHost(payload, config.JWKS_HOSTS)
      const kid = keyId(header)
      const signature = { domain: jwksOrigin(host, config.JWKS_ALLOW_HTTP), alg: 'RS256', kid }
      try {
        await within(jwks.getJwk(signature), config.JWKS_TIMEOUT_MS)
      } catch (error) {
        if ((error as { code?: unknown }).code === 'JWK_NOT_FOUND') throw authorizationError(REASONS.kidNotFound)
        request.log.warn({ jwksHost: host, reason: (error as Error).message }, 'JWKS not fetched')
        throw authorizationError(REASONS.wrongJwksHost)
      }
      try {
        // the key is cached now: this only converts it to PEM
        return await jwks.getPublicKey(signature)
      } catch {
        throw authorizationError(REASONS.wrongJwksKey)
      }
    }

    await fastify.register(fastifyJwt, {
      namespace: 'configuration',
      jwtVerify: 'configurationTokenVerify',
      secret: publicKey,
      decode: { complete: true },
      verify: { algorithms: ['RS256'], extractToken: request => bearerToken(request.headers.authorization) }
    })
  }

  /** The verified payload of a configuration token (only called when that scheme is on). */
  async function verifyConfigurationToken (request: FastifyRequest): Promise<Record<string, unknown>> {
    let payload: Record<string, unknown>
    try {
      payload = await request.configurationTokenVerify()
    } catch (error) {
      if (error instanceof RelayError) throw error
      // @fastify/jwt reports a bad signature (or a key unfit for RS256) as "invalid";
      // an expired or not yet valid token keeps §1.2's reason.
      const { code } = error as { code: string }
      throw authorizationError(code === 'FST_JWT_AUTHORIZATION_TOKEN_INVALID' ? REASONS.wrongJwksKey : REASONS.wrongKey)
    }
    checkAudience(payload, config.RELAY_PUBLIC_URL as string)
    return payload
  }

  fastify.decorateRequest('c1fappKey', '')
  fastify.decorateRequest('entitiesLimit', 0)

  fastify.decorate('authenticate', async function authenticate (request: FastifyRequest) {
    const token = bearerToken(request.headers.authorization)
    let header: Record<string, unknown>
    try {
      header = decode(token).header
    } catch (error) {
      throw tokenFailure((error as { code: string }).code)
    }
    if (tokenScheme(header.alg, on) === 'legacy') {
      let payload: unknown
      try {
        payload = fastify.jwt.legacy.verify(token)
      } catch (error) {
        throw tokenFailure((error as { code: string }).code)
      }
      request.c1fappKey = c1fappKey(payload)
      request.entitiesLimit = config.CTR_ENTITIES_LIMIT
    } else {
      const payload = await verifyConfigurationToken(request)
      request.c1fappKey = c1fappKey(payload)
      request.entitiesLimit = claimedEntitiesLimit(payload, config.CTR_ENTITIES_LIMIT)
    }
  })
}, { name: 'auth', fastify: '5.x', dependencies: ['config'] })
