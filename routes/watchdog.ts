import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { Envelope } from '../lib/schemas/envelope.js'
import { RelayError } from '../lib/relay-error.js'

const watchdog: FastifyPluginAsyncTypebox = async function watchdog (fastify) {
  fastify.get('/watchdog', {
    schema: {
      summary: 'Liveness: echoes the Health-Check header',
      tags: ['operations'],
      headers: Type.Object({ 'health-check': Type.Optional(Type.String()) }),
      response: { 200: Envelope(Type.String()) }
    }
  }, async function echoHealthCheck (request) {
    const value = request.headers['health-check']
    if (value === undefined) throw new RelayError('health check failed', 'Invalid Health Check')
    return { data: value }
  })
}

export default watchdog
