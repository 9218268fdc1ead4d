// The one builder of the relay's Fastify, for every entry (server.ts, lambda.ts, the demo, the
// bench, the tests): Fastify's options from the configuration read once, then the relay (app.ts).
// What may reach a log line, and how long a client may take, is decided here.
import type { Server } from 'node:http'
import Fastify, { type FastifyHttpOptions, type FastifyInstance } from 'fastify'
import app from './app.js'
import type { ConfigReading, RelayConfig } from './lib/config.js'

export interface Logging {
  level: string
  /** where the JSON lines go; standard output when absent */
  stream?: { write: (line: string) => unknown }
}

/** A JWT carries the user's C1fApp key: never log the Authorization header. */
export const REDACTED_PATHS = ['req.headers.authorization']

export function serverOptions (config: RelayConfig, logging: Logging | false): FastifyHttpOptions<Server> {
  return {
    // A client that drips its request byte by byte is cut off (408) once REQUEST_TIMEOUT_MS is
    // up. Node enforces it only when the headers' own time-out is no longer (its default is 60 s),
    // and checks every connectionsCheckingInterval, hence a tenth of the limit.
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    connectionTimeout: config.CONNECTION_TIMEOUT_MS,
    http: { headersTimeout: config.REQUEST_TIMEOUT_MS, connectionsCheckingInterval: Math.ceil(config.REQUEST_TIMEOUT_MS / 10) },
    logger: logging === false ? false : { level: logging.level, redact: REDACTED_PATHS, ...(logging.stream === undefined ? {} : { stream: logging.stream }) },
    // Behind a reverse proxy, request.ip (and the logs) name the client instead of the proxy.
    trustProxy: config.TRUST_PROXY,
    // Calls reaching a closing relay are answered by plugins/load-shedding.ts in Threat
    // Response's envelope; Fastify's own answer would be a bare 503.
    return503OnClosing: false
  }
}

/**
 * The relay of `reading` (lib/config.ts's readConfig), registered but not yet ready. It logs JSON
 * lines to standard output at LOG_LEVEL unless `logging` says otherwise (false: no log).
 */
export async function buildServer (reading: ConfigReading, logging: Logging | false = { level: reading.config.LOG_LEVEL }): Promise<FastifyInstance> {
  const server = Fastify(serverOptions(reading.config, logging))
  await server.register(app, reading)
  return server
}
