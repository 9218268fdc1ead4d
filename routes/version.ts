import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { EnvelopeErrorSchema } from '../lib/schemas/envelope.js'
import { VERSION } from '../lib/version.js'

const version: FastifyPluginAsyncTypebox = async function version (fastify) {
  fastify.post('/version', {
    schema: {
      summary: "The relay's version (no data wrapper: the hosted relays' convention)",
      tags: ['operations'],
      response: {
        200: Type.Object({
          version: Type.Optional(Type.String()),
          errors: Type.Optional(Type.Array(EnvelopeErrorSchema))
        }, { additionalProperties: false })
      }
    }
  }, async function relayVersion () {
    return { version: VERSION }
  })
}

export default version
