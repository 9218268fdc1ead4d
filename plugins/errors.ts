// The one place where failures become Threat Response's envelope. Relay-level failures answer
// HTTP 200 with an `errors` list (that is how Threat Response shows a module's error to the
// analyst); unknown routes answer 404; only a bug would answer 500.
import type { FastifyError, FastifyReply } from 'fastify'
import fp from 'fastify-plugin'
import { RelayError } from '../lib/relay-error.js'

const INVALID_PAYLOAD = 'Invalid JSON payload received.'

function invalidPayload (what: string): RelayError {
  return new RelayError('invalid argument', `${INVALID_PAYLOAD} ${what}`)
}

interface ValidationIssue {
  keyword: string
  instancePath: string
  params: Record<string, unknown>
}

/** The request failures Fastify itself detects, in the analyst's words. */
function requestFailure (error: FastifyError, limits: { maxBodyBytes: number }): RelayError | undefined {
  if (error.validation !== undefined) {
    const [issue] = error.validation as ValidationIssue[]
    if (issue.keyword === 'maxItems') {
      return invalidPayload(`Too many observables: at most ${String(issue.params.limit)} are accepted in one call (MAX_OBSERVABLES).`)
    }
    if (issue.keyword === 'maxLength') {
      return invalidPayload(`body${issue.instancePath} is longer than the limit of ${String(issue.params.limit)} characters (MAX_VALUE_LENGTH).`)
    }
    return invalidPayload(`${error.message}.`)
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return invalidPayload(`The body is larger than the limit of ${limits.maxBodyBytes} bytes (MAX_BODY_BYTES).`)
  }
  if (error.code?.startsWith('FST_ERR_CTP_')) return invalidPayload(`${error.message}.`)
  return undefined
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
    const relayError = error instanceof RelayError ? error : requestFailure(error, limits)
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') keepReading(reply)
    if (relayError !== undefined) {
      request.log.info({ code: relayError.code, reason: relayError.message }, 'answered with an error')
      return reply.code(200).send({ errors: [relayError.toEnvelope()] })
    }
    request.log.error({ err: error }, 'unexpected failure')
    return reply.code(500).send({
      errors: [{ type: 'fatal', code: 'unknown', message: 'The relay failed unexpectedly; its log says why.' }]
    })
  })

  fastify.setNotFoundHandler(function unknownRoute (request, reply) {
    return reply.code(404).send({
      errors: [{ type: 'fatal', code: 'not found', message: `Unknown route: ${request.method} ${request.url.split('?')[0]}` }]
    })
  })
}, { name: 'errors', fastify: '5.x', dependencies: ['config'] })
