// The one way the process entries build the relay's Fastify: server.ts listens with it,
// lambda.ts hands it API Gateway's events. Tests build theirs through test/helper.ts.
import Fastify, { type FastifyInstance } from 'fastify'
import app from './app.js'
import { readConfig } from './lib/config.js'
import { serverOptions } from './lib/server-options.js'

/** The relay configured by `env`, registered but not yet ready; throws ConfigError on bad configuration. */
export async function buildServer (env: Record<string, string | undefined>): Promise<FastifyInstance> {
  const { config } = readConfig(env)
  const server = Fastify({
    ...serverOptions({ level: config.LOG_LEVEL }, config),
    // Behind a reverse proxy, request.ip (and the logs) name the client instead of the proxy.
    trustProxy: config.TRUST_PROXY
  })
  await server.register(app, { env })
  return server
}
