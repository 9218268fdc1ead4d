import fp from 'fastify-plugin'
import { readConfig, type RelayConfig } from '../lib/config.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: RelayConfig
  }
}

export interface ConfigPluginOptions {
  /** the environment to read: the entry points hand in process.env, tests their own */
  env: Record<string, string | undefined>
}

export default fp<ConfigPluginOptions>(async function config (fastify, opts) {
  const { config, warnings } = readConfig(opts.env)
  for (const warning of warnings) fastify.log.warn(warning)
  fastify.decorate('config', config)
}, { name: 'config', fastify: '5.x' })
