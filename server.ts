// Process entry: read the configuration once, build the relay, listen; close gracefully on signals.
import { pathToFileURL } from 'node:url'
import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { buildServer } from './build-server.js'
import { readConfig } from './lib/config.js'

/** Listens on HOST:PORT and closes on SIGTERM/SIGINT: the relay as a process runs it (the demo and the bench too). */
export async function listen (server: FastifyInstance): Promise<FastifyInstance> {
  // On SIGTERM/SIGINT: stop accepting connections, let the calls in flight finish, and exit 0;
  // past SHUTDOWN_GRACE_MS close-with-grace exits 1 anyway, so a stuck call cannot hold a deploy.
  closeWithGrace({ delay: server.config.SHUTDOWN_GRACE_MS, logger: server.log }, async function ({ signal, err }) {
    if (err !== undefined) server.log.error({ err }, 'closing after an error')
    else server.log.info({ signal }, 'closing')
    await server.close()
  })
  await server.listen({ port: server.config.PORT, host: server.config.HOST })
  return server
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await listen(await buildServer(readConfig(process.env)))
  } catch (error) {
    console.error((error as Error).message)
    process.exit(1)
  }
}
