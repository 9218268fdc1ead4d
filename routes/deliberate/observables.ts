import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { Envelope } from '../../lib/ctim/schemas.js'
import { observablesBody, observablesToQuery, withWarnings } from '../../lib/observables.js'
import { BEARER } from '../../lib/routes.js'

const deliberate: FastifyPluginAsyncTypebox = async function deliberate (fastify) {
  fastify.post('/observables', {
    schema: {
      summary: 'Verdicts of the observables: none yet',
      tags: ['relay'],
      security: BEARER,
      body: observablesBody(fastify.config),
      response: { 200: Envelope(Type.Object({}, { additionalProperties: false })) }
    },
    onRequest: fastify.authenticate
  }, async function deliberateObservables (request) {
    return withWarnings({ data: {} }, observablesToQuery(request.body, fastify.config).warnings)
  })
}

export default deliberate
