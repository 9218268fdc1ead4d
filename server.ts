// Process entry: build Fastify, register the app, listen; close gracefully on signals.
import closeWithGrace from 'close-with-grace'
import Fastify from 'fastify'
import app from './app.js'
import { ConfigError, readConfig } from './lib/config.js'

let config
try {
  config = readConfig(process.env).config
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  console.error(error.message)
  process.exit(1)
}

const server = Fastify({
  logger: {
    level: config.LOG_LEVEL,
    // A JWT carries the user's C1fApp key: never log it.
    redact: ['req.headers.authorization']
  },
  disableRequestLogging: false
})

await server.register(app, { env: process.env })

closeWithGrace({ delay: 10000 }, async function ({ signal, err }) {
  if (err !== undefined) server.log.error({ err }, 'closing after an error')
  else server.log.info({ signal }, 'closing')
  await server.close()
})

await server.listen({ port: config.PORT, host: config.HOST })
