import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { QUOTA_DESCRIPTION } from '../lib/quota.js'
import { Envelope } from '../lib/schemas/envelope.js'
import { HealthSchema } from '../lib/schemas/health.js'
import { BEARER } from '../lib/schemas/security.js'

/** A harmless value to ask C1fApp about, as the original relay did. */
export const HEALTH_PROBE_VALUE = 'test.com'

const health: FastifyPluginAsyncTypebox = async function health (fastify) {
  fastify.post('/health', {
    schema: {
      summary: "Checks the token and the key, and shows the key's C1fApp quota today",
      description: 'Asks C1fApp about one harmless value unless C1fApp answered the key within HEALTH_TRUST_S ' +
        'or the key is at its daily limit, so that automatic health checks spend (almost) none of the quota.',
      tags: ['relay'],
      security: BEARER,
      response: { 200: Envelope(HealthSchema) }
    },
    onRequest: fastify.authenticate
  }, async function checkHealth (request) {
    const values = await fastify.c1fapp.health(request.c1fappKey, request.dailyLimit, HEALTH_PROBE_VALUE)
    return { data: { status: 'ok' as const, quotas: { c1fapp_api: { description: QUOTA_DESCRIPTION, values } } } }
  })
}

export default health
