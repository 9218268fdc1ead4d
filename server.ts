// Process entry: build the relay, listen; close gracefully on signals.
import { pathToFileURL } from 'node:url'
import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { buildServer } from './build-server.js'

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
  const server = await buildServer(env)
  const config = server.config
  if (onClose !== undefined) server.addHook('onClose', onClose)
  if (beforeListen !== undefined) await beforeListen(server)

  // On SIGTERM/SIGINT: stop accepting connections, let the calls in flight finish, and exit 0;
  // past SHUTDOWN_GRACE_MS close-with-grace exits 1 anyway, so a stuck call cannot hold a deploy.
  closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS, logger: server.log }, async function ({ signal, err }) {
    if (err !== undefined) server.log.error({ err }, 'closing after an error')
    else server.log.info({ signal }, 'closing')
    await server.close()
  })

  await server.listen({ port: server.config.PORT, host: server.config.HOST })
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
