// Process entry: build Fastify, register the app, listen; close gracefully on signals.
import { pathToFileURL } from 'node:url'
import closeWithGrace from 'close-with-grace'
import Fastify, { type FastifyInstance } from 'fastify'
import app from './app.js'
import { readConfig } from './lib/config.js'

/**
 * Starts the relay configured by `env`; throws ConfigError on bad configuration. `onClose` runs
 * when the relay closes (the demo closes its simulator there); `beforeListen` runs once the relay
 * is registered, before it listens (the benchmark adds its ceiling route and counters there).
 */
export async function start (
  env: Record<string, string | undefined>,
  onClose?: () => Promise<void>,
  beforeListen?: (server: FastifyInstance) => Promise<void> | void
): Promise<FastifyInstance> {
  const { config } = readConfig(env)
  const server = Fastify({
    logger: {
      level: config.LOG_LEVEL,
      // A JWT carries the user's C1fApp key: never log it.
      redact: ['req.headers.authorization']
    }
  })
  await server.register(app, { env })
  if (onClose !== undefined) server.addHook('onClose', onClose)
  if (beforeListen !== undefined) await beforeListen(server)

  closeWithGrace({ delay: 10000, logger: server.log }, async function ({ signal, err }) {
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
