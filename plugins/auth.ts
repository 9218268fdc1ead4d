// Authorization header → the user's C1fApp key (contract §1.2). Every failure is an
// `authorization error` with the exact reason Threat Response's other relays give.
import fastifyJwt from '@fastify/jwt'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { RelayError } from '../lib/relay-error.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook of the authenticated routes: sets request.c1fappKey or throws */
    authenticate: (request: FastifyRequest) => Promise<void>
  }
  interface FastifyRequest {
    /** the user's C1fApp key, from the token's `key` claim */
    c1fappKey: string
  }
}

export function authorizationError (reason: string): RelayError {
  return new RelayError('authorization error', `Authorization failed: ${reason}`)
}

/** The token of `Authorization: Bearer <token>`. */
export function bearerToken (header: string | undefined): string {
  if (header === undefined || header.trim() === '') throw authorizationError('Authorization header is missing')
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header)
  if (match === null) throw authorizationError('Wrong authorization type')
  return match[1]
}

/** The C1fApp key of a verified payload. */
export function c1fappKey (payload: unknown): string {
  const key = (payload as { key?: unknown }).key
  if (typeof key !== 'string' || key === '') throw authorizationError('Wrong JWT payload structure')
  return key
}

const STRUCTURE_ERRORS = new Set(['FAST_JWT_MALFORMED', 'FAST_JWT_INVALID_TYPE'])

export default fp(async function auth (fastify) {
  const secret = fastify.config.SECRET_KEY
  if (secret !== undefined) {
    await fastify.register(fastifyJwt, { secret, verify: { algorithms: ['HS256'] } })
  }
  fastify.decorateRequest('c1fappKey', '')

  fastify.decorate('authenticate', async function authenticate (request: FastifyRequest) {
    const token = bearerToken(request.headers.authorization)
    let payload: unknown
    try {
      payload = fastify.jwt.verify(token)
    } catch (error) {
      const { code } = error as { code: string }
      if (STRUCTURE_ERRORS.has(code)) throw authorizationError('Wrong JWT structure')
      if (code === 'FAST_JWT_INVALID_PAYLOAD') throw authorizationError('Wrong JWT payload structure')
      throw authorizationError('Failed to decode JWT with provided key')
    }
    request.c1fappKey = c1fappKey(payload)
  })
}, { name: 'auth', fastify: '5.x', dependencies: ['config'] })
