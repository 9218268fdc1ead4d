// Security headers (helmet). The relay answers JSON to Threat Response's servers, so its answers
// forbid everything a browser could do with them: no resources, no framing, no sniffing. The one
// HTML page, /documentation, gets the policy its own scripts and styles need
// (plugins/documentation.ts); nothing else is relaxed. Routes anyone may call without a token
// (/version, /watchdog, the documentation) read at most UNAUTHENTICATED_BODY_BYTES of a body:
// none of them needs one, and a stranger's megabyte of nested JSON costs nothing there.
import type { ServerResponse } from 'node:http'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'

export const UNAUTHENTICATED_BODY_BYTES = 1024

const HELMET: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] }
  },
  frameguard: { action: 'deny' },
  // The relay owns its host name only, not its siblings'.
  strictTransportSecurity: { maxAge: 31536000, includeSubDomains: false }
}

/**
 * The headers helmet sets with these options, read once: they are the same on every answer, and
 * helmet's Fastify plugin built its middleware again for every call.
 */
export function helmetHeaders (options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader (name: string, value: string) { headers[name.toLowerCase()] = value },
    removeHeader () {}
  }
  helmet(options)(undefined as never, recorder as unknown as ServerResponse, () => {})
  return headers
}

export default fp(async function security (fastify) {
  fastify.addHook('onRoute', function limitUnauthenticatedBodies (route) {
    // every authenticated route declares its bearer token for the OpenAPI description
    route.bodyLimit = route.schema?.security === undefined ? UNAUTHENTICATED_BODY_BYTES : fastify.config.MAX_BODY_BYTES
  })
  const headers = helmetHeaders(HELMET)
  fastify.addHook('onRequest', function securityHeaders (request, reply, done) {
    reply.headers(headers)
    done()
  })
}, { name: 'security', fastify: '5.x', dependencies: ['config'] })
