// fastify.config: the configuration build-server.ts was given, read once by lib/config.ts; its
// warnings (values it replaced) are logged once the logger exists.
import fp from 'fastify-plugin'
import type { ConfigReading, RelayConfig } from '../lib/config.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: RelayConfig
  }
}

export default fp<ConfigReading>(async function config (fastify, { config, warnings }) {
  for (const warning of warnings) fastify.log.warn(warning)
  fastify.decorate('config', config)
}, { name: 'config', fastify: '5.x' })
