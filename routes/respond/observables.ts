import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { Envelope } from '../../lib/ctim/schemas.js'
import { observablesBody } from '../../lib/observables.js'
import { BEARER } from '../../lib/routes.js'

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

  fastify.post('/trigger', {
    schema: {
      summary: 'Triggers a response action: C1fApp offers none, so it always fails',
      tags: ['relay'],
      security: BEARER,
      response: { 200: Envelope(Type.Object({ status: Type.Literal('failure') }, { additionalProperties: false })) }
    },
    onRequest: fastify.authenticate
  }, async function respondTrigger () {
    return { data: { status: 'failure' as const } }
  })
}

export default respond
