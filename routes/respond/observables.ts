import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { Envelope } from '../../lib/schemas/envelope.js'
import { observablesBody } from '../../lib/schemas/observables.js'
import { BEARER } from '../../lib/schemas/security.js'

const respond: FastifyPluginAsyncTypebox = async function respond (fastify) {
  fastify.post('/observables', {
    schema: {
      summary: 'Response actions for the observables: C1fApp offers none',
      tags: ['relay'],
      security: BEARER,
      body: observablesBody(fastify.config),
      response: { 200: Envelope(Type.Array(Type.Never())) }
    },
    onRequest: fastify.authenticate
  }, async function respondObservables () {
    return { data: [] }
  })
}

export default respond
