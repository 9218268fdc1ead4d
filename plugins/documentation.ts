// The OpenAPI description of the relay, generated from the route schemas, and its UI.
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import { VERSION } from '../lib/version.js'

export default fp(async function documentation (fastify) {
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'C1fApp relay for Cisco Threat Response',
        description: 'Enriches Threat Response investigations with C1fApp threat intelligence as CTIM ' +
          'sightings, indicators and relationships. Relay-level errors answer HTTP 200 with an `errors` list.',
        version: VERSION
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }
        }
      },
      tags: [
        { name: 'relay', description: 'the routes Threat Response calls' },
        { name: 'operations', description: 'version and liveness, without authorization' }
      ]
    }
  })
  await fastify.register(swaggerUi, { routePrefix: '/documentation' })
}, { name: 'documentation', fastify: '5.x' })
