// The OpenAPI description of the relay, generated from the route schemas, and its UI.
// The UI is the relay's one HTML page: its Content-Security-Policy lets swagger-ui's own scripts,
// styles and images load from the relay, and nothing from elsewhere (plugins/security.ts sets
// the strict policy of every other answer).
import { createRequire } from 'node:module'
import swagger, { type SwaggerTransformObject } from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import { nameComponents } from '../lib/schemas/openapi-components.js'
import { VERSION } from '../lib/version.js'

type OpenApiDocument = Extract<Parameters<SwaggerTransformObject>[0], { openapiObject: unknown }>['openapiObject']

export default fp(async function documentation (fastify) {
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'C1fApp relay for Cisco Threat Response',
        description: 'Enriches Threat Response investigations with C1fApp threat intelligence as CTIM ' +
          'sightings, indicators, judgements, verdicts and relationships. Relay-level errors answer HTTP 200 with an `errors` list.',
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
    },
    // A schema's `title` names it: the document holds it once, as a component, and refers to it.
    transformObject: document => nameComponents((document as { openapiObject: OpenApiDocument }).openapiObject) as OpenApiDocument
  })
  // the hashes of swagger-ui's inline scripts and styles, if its version has any
  const { script, style } = createRequire(import.meta.url)('@fastify/swagger-ui/static/csp.json') as { script: string[], style: string[] }
  await fastify.register(swaggerUi, {
    routePrefix: '/documentation',
    // swagger-ui's own policy (staticCSP: true) also loads validator.swagger.io's badge and
    // upgrades requests to https, which breaks the page of a relay served over plain http under
    // a host name (browsers exempt loopback).
    staticCSP: {
      'default-src': ["'self'"],
      'base-uri': ["'self'"],
      'connect-src': ["'self'"],
      'font-src': ["'self'", 'data:'],
      'form-action': ["'self'"],
      'frame-ancestors': ["'none'"],
      'img-src': ["'self'", 'data:'],
      'object-src': ["'none'"],
      'script-src': ["'self'", ...script],
      'script-src-attr': ["'none'"],
      'style-src': ["'self'", "'unsafe-inline'", ...style]
    },
    uiConfig: { validatorUrl: null }
  })
}, { name: 'documentation', fastify: '5.x', dependencies: ['security'] })
