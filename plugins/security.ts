// Security headers (helmet). The relay answers JSON to Threat Response's servers, so its answers
// forbid everything a browser could do with them: no resources, no framing, no sniffing. The one
// HTML page, /documentation, gets the policy its own scripts and styles need
// (plugins/documentation.ts); nothing else is relaxed. Routes anyone may call without a token
// (/version, /watchdog, the documentation) read at most UNAUTHENTICATED_BODY_BYTES of a body:
// none of them needs one, and a stranger's megabyte of nested JSON costs nothing there.
import helmet from '@fastify/helmet'
import fp from 'fastify-plugin'

export const UNAUTHENTICATED_BODY_BYTES = 1024

export default fp(async function security (fastify) {
  fastify.addHook('onRoute', function limitUnauthenticatedBodies (route) {
    // every authenticated route declares its bearer token for the OpenAPI description
    route.bodyLimit = route.schema?.security === undefined ? UNAUTHENTICATED_BODY_BYTES : fastify.config.MAX_BODY_BYTES
  })
  await fastify.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] }
    },
    frameguard: { action: 'deny' },
    // The relay owns its host name only, not its siblings'.
    strictTransportSecurity: { maxAge: 31536000, includeSubDomains: false }
  })
}, { name: 'security', fastify: '5.x', dependencies: ['config'] })
