// A terminal command that cannot start (the demo) prints one line that says why and what to set,
// as `npm start` prints its configuration errors: no stack for what the user can fix.
import { ConfigError } from '../lib/config.js'

// node:net's codes for a listening socket refused by the system or given an unusable port
const LISTEN_FAILURES = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'ERR_SOCKET_BAD_PORT'])

/**
 * The line for a start-up failure that `variable` (PORT, …) can fix, with the hint to set it;
 * undefined for anything else (a bug keeps its stack).
 */
export function startFailure (error: unknown, variable: string, example: string): string | undefined {
  const hint = `set ${variable} to a free port, for example ${example} (${variable}=0 takes any free one)`
  if (error instanceof ConfigError) return error.message.includes(variable) ? `${error.message}; ${hint}` : error.message
  const { code, message } = error as NodeJS.ErrnoException
  if (code === undefined || !LISTEN_FAILURES.has(code)) return undefined
  return `${message.replace(/\.$/, '')}: ${hint}`
}
