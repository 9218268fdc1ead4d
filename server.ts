// Process entry: build Fastify, register the app, listen; close gracefully on signals.
import { pathToFileURL } from 'node:url'
import closeWithGrace from 'close-with-grace'
import Fastify, { type FastifyInstance } from 'fastify'
import app from './app.js'
import { readConfig } from './lib/config.js'
import { serverOptions } from './lib/server-options.js'

/**
 * Starts the relay configured by `env`; throws ConfigError on bad configuration. `onClose` runs
 * when the relay closes (the demo closes its simulator there).
 */
export async function start (env: Record<string, string | undefined>, onClose?: () => Promise<void>): Promise<FastifyInstance> {
  const { config } = readConfig(env)
  const server = Fastify(serverOptions({ level: config.LOG_LEVEL }))
  await server.register(app, { env })
  if (onClose !== undefined) server.addHook('onClose', onClose)

  // On SIGTERM/SIGINT: stop accepting connections, let the calls in flight finish, and exit 0;
  // past SHUTDOWN_GRACE_MS close-with-grace exits 1 anyway, so a stuck call cannot hold a deploy.
  closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS, logger: server.log }, async function ({ signal, err }) {
    if (err !== undefined) server.log.error({ err }, 'closing after an error')
    else server.log.info({ signal }, 'closing')
    await server.close()
  })

  await server.listen({ port: config.PORT, host: config.HOST })
  return server
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await start(process.env)
  } catch (error) {
    console.error((error as Error).message)
    process.exit(1)
  }
}
