// The one place where failures become Threat Response's envelope. Relay-level failures answer
// HTTP 200 with an `errors` list (that is how Threat Response shows a module's error to the
// analyst); unknown routes answer 404, before their body is read; a request Fastify or a plugin
// refuses with a 4xx (a path @fastify/static forbids, an aborted upload) keeps that status; only
// a bug would answer 500.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ownerSetting, RelayError } from '../lib/relay-error.js'

const INVALID_PAYLOAD = 'Invalid JSON payload received.'

function invalidPayload (what: string): RelayError {
  return new RelayError('invalid argument', `${INVALID_PAYLOAD} ${what}`)
}

/** The request failures Fastify itself detects, in the analyst's words. */
function requestFailure (error: FastifyError, limits: { maxBodyBytes: number, routeBodyLimit: number }): RelayError | undefined {
  if (error.validation !== undefined) return invalidPayload(`${error.message}.`)
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    // routes without a token have their own, smaller limit (plugins/security.ts). The body was
    // not read, so nothing is known of its JSON: this is no "Invalid JSON payload".
    const named = limits.routeBodyLimit === limits.maxBodyBytes ? ` (${ownerSetting('MAX_BODY_BYTES')})` : ''
    return new RelayError('invalid argument', `The request body is larger than the limit of ${limits.routeBodyLimit} bytes${named}.`)
  }
  if (error.code?.startsWith('FST_ERR_CTP_')) return invalidPayload(`${error.message}.`)
  return undefined
}

/**
 * What points at a deployment problem (a C1fApp key that is refused or out of quota, an overloaded
 * relay) is logged at warn, so that LOG_LEVEL=warn shows it; what a client's input caused stays at
 * info. A refused token is the client's input (anyone can send one): info, and counted
 * (relay_authorization_failures_total), so that a wrong SECRET_KEY shows as a rising count rather
 * than as one warning per anonymous request.
 */
export const DEPLOYMENT_PROBLEMS = new Set(['unauthorized', 'forbidden', 'too many requests'])

const CLIENT_ERROR_CODES: Record<number, string> = { 403: 'forbidden', 404: 'not found', 408: 'timeout', 413: 'too large' }

function notFound (request: FastifyRequest, reply: FastifyReply) {
  return reply.code(404).send({
    errors: [{ type: 'fatal', code: 'not found', message: `Unknown route: ${request.method} ${request.url.split('?')[0]}` }]
  })
}

/**
 * Fastify answers an oversized body with `Connection: close`, and Node then closes the socket while
 * the client may still be sending: the client sees EPIPE or a reset instead of the answer. Without
 * that header the connection stays open and Node reads the rest of the body into the void (the
 * server's request time-out still bounds a client that never stops).
 */
function keepReading (reply: FastifyReply): void {
  reply.removeHeader('connection')
}

export default fp(async function errors (fastify) {
  const limits = { maxBodyBytes: fastify.config.MAX_BODY_BYTES }

  fastify.setErrorHandler(function renderError (error: FastifyError, request, reply) {
    const relayError = error instanceof RelayError
      ? error
      : requestFailure(error, { ...limits, routeBodyLimit: request.routeOptions.bodyLimit })
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') keepReading(reply)
    if (relayError !== undefined) {
      if (relayError.code === 'authorization error') fastify.metrics.authorizationFailure()
      const level = DEPLOYMENT_PROBLEMS.has(relayError.code) ? 'warn' : 'info'
      request.log[level]({ code: relayError.code, reason: relayError.message }, 'answered with an error')
      return reply.code(200).send({ errors: [relayError.toEnvelope()] })
    }
    const status = error.statusCode ?? 500
    if (status >= 400 && status < 500) {
      // the client's doing, not the relay's: no stack trace, no error level
      request.log.info({ code: error.code, status, reason: error.message }, 'request refused')
      return reply.code(status).send({ errors: [{ type: 'fatal', code: CLIENT_ERROR_CODES[status] ?? 'invalid argument', message: error.message }] })
    }
    request.log.error({ err: error }, 'unexpected failure')
    return reply.code(500).send({
      errors: [{ type: 'fatal', code: 'unknown', message: 'The relay failed unexpectedly; its log says why.' }]
    })
  })

  // onRequest runs before the body is read: an unknown route costs no parsing
  fastify.addHook('onRequest', async function unknownRouteEarly (request, reply) {
    if (request.is404) return notFound(request, reply)
  })
  fastify.setNotFoundHandler(notFound)
}, { name: 'errors', fastify: '5.x', dependencies: ['config', 'metrics'] })
