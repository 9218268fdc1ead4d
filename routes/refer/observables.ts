import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { Envelope } from '../../lib/schemas/envelope.js'
import { observablesBody } from '../../lib/schemas/observables.js'
import { BEARER } from '../../lib/schemas/security.js'

const refer: FastifyPluginAsyncTypebox = async function refer (fastify) {
  fastify.post('/observables', {
    schema: {
      summary: 'Links to C1fApp pages about the observables: C1fApp has none that is known',
      tags: ['relay'],
      security: BEARER,
      body: observablesBody(fastify.config),
      response: { 200: Envelope(Type.Array(Type.Never())) }
    },
    onRequest: fastify.authenticate
  }, async function referObservables () {
    return { data: [] }
  })
}

export default refer
