import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { Envelope } from '../../lib/schemas/envelope.js'
import { BEARER } from '../../lib/schemas/security.js'

const trigger: FastifyPluginAsyncTypebox = async function trigger (fastify) {
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

export default trigger
