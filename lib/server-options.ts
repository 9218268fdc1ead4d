// The Fastify options every entry point builds the relay with (server.ts; the tests that read
// the log use the same), so what may reach a log line is decided in one place.
import type { FastifyServerOptions } from 'fastify'

export interface Logging {
  level: string
  /** where the JSON lines go; standard output when absent */
  stream?: { write: (line: string) => unknown }
}

/** A JWT carries the user's C1fApp key: never log the Authorization header. */
export const REDACTED_PATHS = ['req.headers.authorization']

export function serverOptions (logging: Logging | false): FastifyServerOptions {
  return {
    logger: logging === false ? false : { level: logging.level, redact: REDACTED_PATHS, ...(logging.stream === undefined ? {} : { stream: logging.stream }) },
    // Calls reaching a closing relay are answered by plugins/load-shedding.ts in Threat
    // Response's envelope; Fastify's own answer would be a bare 503.
    return503OnClosing: false
  }
}
