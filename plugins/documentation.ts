// The OpenAPI description of the relay, generated from the route schemas, and its UI.
// The UI is the relay's one HTML page: its Content-Security-Policy lets swagger-ui's own scripts,
// styles and images load from the relay, and nothing from elsewhere (plugins/security.ts sets
// the strict policy of every other answer).
// The UI (swagger-ui, @fastify/static and the packages under them) is loaded when /documentation
// is first asked, not at start: a new Lambda instance answers Threat Response, seldom a browser,
// and loading it cost every instance's init about a tenth of its CPU (docs/performance.md). It
// runs in a Fastify instance of its own, to which the relay's /documentation routes hand each
// request; the description itself is the relay's (@fastify/swagger, which collects the routes as
// they are registered).
import { createRequire } from 'node:module'
import swagger, { type SwaggerTransformObject } from '@fastify/swagger'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { nameComponents } from '../lib/schemas/openapi-components.js'
import { VERSION } from '../lib/version.js'

type OpenApiDocument = Extract<Parameters<SwaggerTransformObject>[0], { openapiObject: unknown }>['openapiObject']

const PREFIX = '/documentation'
/** headers of the UI's answer that the relay's own reply sets for itself */
const OWN_HEADERS = new Set(['content-length', 'connection', 'keep-alive', 'transfer-encoding', 'date'])

/** The UI, ready, in a Fastify instance of its own that serves the relay's description. */
async function documentationUi (relay: FastifyInstance): Promise<FastifyInstance> {
  const [{ default: Fastify }, { default: swaggerUi }] = await Promise.all([import('fastify'), import('@fastify/swagger-ui')])
  const ui = Fastify({ logger: false })
  // swagger-ui asks for @fastify/swagger: the relay's document stands in for it
  await ui.register(fp(async instance => { instance.decorate('swagger', relay.swagger.bind(relay)) }, { name: '@fastify/swagger' }))
  // the hashes of swagger-ui's inline scripts and styles, if its version has any
  const { script, style } = createRequire(import.meta.url)('@fastify/swagger-ui/static/csp.json') as { script: string[], style: string[] }
  await ui.register(swaggerUi, {
    routePrefix: PREFIX,
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
  await ui.ready()
  return ui
}

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

  let ui: Promise<FastifyInstance> | undefined
  async function serveUi (request: FastifyRequest, reply: FastifyReply) {
    ui ??= documentationUi(fastify)
    const answer = await (await ui).inject({ method: request.method as 'GET' | 'HEAD', url: request.url, headers: request.headers })
    // what the UI does not serve is the relay's unknown route
    if (answer.statusCode === 404) return reply.callNotFound()
    reply.headers(Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !OWN_HEADERS.has(name))))
    return reply.code(answer.statusCode).send(answer.rawPayload)
  }
  for (const url of [PREFIX, `${PREFIX}/*`]) fastify.get(url, { schema: { hide: true } }, serveUi)
  fastify.addHook('onClose', async () => { await (await ui)?.close() })
}, { name: 'documentation', fastify: '5.x', dependencies: ['security'] })
