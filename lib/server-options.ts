// The Fastify options every entry point builds the relay with (server.ts; the tests that read
// the log use the same), so what may reach a log line is decided in one place.
import type { Server } from 'node:http'
import type { FastifyHttpOptions } from 'fastify'
import { EnvironmentSchema } from './config.js'

export interface Logging {
  level: string
  /** where the JSON lines go; standard output when absent */
  stream?: { write: (line: string) => unknown }
}

/** A JWT carries the user's C1fApp key: never log the Authorization header. */
export const REDACTED_PATHS = ['req.headers.authorization']

/** How long a client may take (lib/config.ts: REQUEST_TIMEOUT_MS, CONNECTION_TIMEOUT_MS). */
export interface ClientTimeouts {
  REQUEST_TIMEOUT_MS: number
  CONNECTION_TIMEOUT_MS: number
}

export const DEFAULT_CLIENT_TIMEOUTS: ClientTimeouts = {
  REQUEST_TIMEOUT_MS: EnvironmentSchema.properties.REQUEST_TIMEOUT_MS.default,
  CONNECTION_TIMEOUT_MS: EnvironmentSchema.properties.CONNECTION_TIMEOUT_MS.default
}

export function serverOptions (logging: Logging | false, timeouts: ClientTimeouts = DEFAULT_CLIENT_TIMEOUTS): FastifyHttpOptions<Server> {
  return {
    // A client that drips its request byte by byte is cut off (408) once REQUEST_TIMEOUT_MS is
    // up. Node enforces it only when the headers' own time-out is no longer (its default is 60 s),
    // and checks every connectionsCheckingInterval, hence a tenth of the limit.
    requestTimeout: timeouts.REQUEST_TIMEOUT_MS,
    connectionTimeout: timeouts.CONNECTION_TIMEOUT_MS,
    http: { headersTimeout: timeouts.REQUEST_TIMEOUT_MS, connectionsCheckingInterval: Math.ceil(timeouts.REQUEST_TIMEOUT_MS / 10) },
    logger: logging === false ? false : { level: logging.level, redact: REDACTED_PATHS, ...(logging.stream === undefined ? {} : { stream: logging.stream }) },
    // Calls reaching a closing relay are answered by plugins/load-shedding.ts in Threat
    // Response's envelope; Fastify's own answer would be a bare 503.
    return503OnClosing: false
  }
}
