// Process entry: build the relay, listen; close gracefully on signals.
import { pathToFileURL } from 'node:url'
import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { buildServer } from './build-server.js'

/**
 * Starts the relay configured by `env`; throws ConfigError on bad configuration. `onClose` runs
 * when the relay closes (the demo closes its simulator there).
 */
export async function start (env: Record<string, string | undefined>, onClose?: () => Promise<void>): Promise<FastifyInstance> {
  const server = await buildServer(env)
  if (onClose !== undefined) server.addHook('onClose', onClose)

  closeWithGrace({ delay: 10000, logger: server.log }, async function ({ signal, err }) {
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
