import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { Envelope } from '../lib/schemas/envelope.js'
import { BEARER } from '../lib/schemas/security.js'

/** A harmless value to ask C1fApp about, as the original relay did. */
export const HEALTH_PROBE_VALUE = 'test.com'

const health: FastifyPluginAsyncTypebox = async function health (fastify) {
  fastify.post('/health', {
    schema: {
      summary: 'Checks the token and that C1fApp answers for this key',
      tags: ['relay'],
      security: BEARER,
      response: { 200: Envelope(Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false })) }
    },
    onRequest: fastify.authenticate
  }, async function checkHealth (request) {
    await fastify.c1fapp.lookup(request.c1fappKey, HEALTH_PROBE_VALUE)
    return { data: { status: 'ok' as const } }
  })
}

export default health
