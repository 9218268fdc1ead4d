// The one place where failures become Threat Response's envelope. Relay-level failures answer
// HTTP 200 with an `errors` list (that is how Threat Response shows a module's error to the
// analyst); unknown routes answer 404; only a bug would answer 500.
import type { FastifyError } from 'fastify'
import fp from 'fastify-plugin'
import { RelayError } from '../lib/relay-error.js'

const INVALID_PAYLOAD = 'Invalid JSON payload received.'

function invalidPayload (what: string): RelayError {
  return new RelayError('invalid argument', `${INVALID_PAYLOAD} ${what}`)
}

/** The request failures Fastify itself detects, in the analyst's words. */
function requestFailure (error: FastifyError, limits: { maxBodyBytes: number }): RelayError | undefined {
  if (error.validation !== undefined) return invalidPayload(`${error.message}.`)
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return invalidPayload(`The body is larger than the limit of ${limits.maxBodyBytes} bytes (MAX_BODY_BYTES).`)
  }
  if (error.code?.startsWith('FST_ERR_CTP_')) return invalidPayload(`${error.message}.`)
  return undefined
}

export default fp(async function errors (fastify) {
  const limits = { maxBodyBytes: fastify.config.MAX_BODY_BYTES }

  fastify.setErrorHandler(function renderError (error: FastifyError, request, reply) {
    const relayError = error instanceof RelayError ? error : requestFailure(error, limits)
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
