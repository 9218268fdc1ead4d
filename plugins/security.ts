// Security headers (helmet). The relay answers JSON to Threat Response's servers, so its answers
// forbid everything a browser could do with them: no resources, no framing, no sniffing. The one
// HTML page, /documentation, gets the policy its own scripts and styles need
// (plugins/documentation.ts); nothing else is relaxed.
import helmet from '@fastify/helmet'
import fp from 'fastify-plugin'

export default fp(async function security (fastify) {
  await fastify.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] }
    },
    frameguard: { action: 'deny' },
    // The relay owns its host name only, not its siblings'.
    strictTransportSecurity: { maxAge: 31536000, includeSubDomains: false }
  })
}, { name: 'security', fastify: '5.x' })
