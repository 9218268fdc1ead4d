// Every error an analyst can see is one RelayError with a code of the contract, born where the
// reason is known and rendered into the Threat Response envelope in one place (plugins/errors.ts).

export type ErrorCode =
  | 'invalid argument'
  | 'authorization error'
  | 'unauthorized'
  | 'forbidden'
  | 'not found'
  | 'too many requests'
  | 'unknown'
  | 'connection error'
  | 'key error'
  | 'health check failed'
  | 'too many entities'

export const ERROR_TYPES = ['fatal', 'warning'] as const
export type ErrorType = typeof ERROR_TYPES[number]

export interface EnvelopeError {
  type: ErrorType
  code: string
  message: string
}

export class RelayError extends Error {
  readonly code: ErrorCode
  readonly type: ErrorType

  constructor (code: ErrorCode, message: string, type: ErrorType = 'fatal') {
    super(message)
    this.name = 'RelayError'
    this.code = code
    this.type = type
  }

  toEnvelope (): EnvelopeError {
    return { type: this.type, code: this.code, message: this.message }
  }
}

/**
 * A relay setting named in a message an analyst reads (`ANSWER_MAX_BYTES, a setting of the module's
 * owner`): the analyst cannot change it, and is told who can.
 */
export function ownerSetting (name: string): string {
  return `${name}, a setting of the module's owner`
}

/** The same error reported by several observables is shown to the analyst once. */
export function uniqueErrors (errors: RelayError[]): EnvelopeError[] {
  const seen = new Map<string, EnvelopeError>()
  for (const error of errors) {
    const envelope = error.toEnvelope()
    seen.set(`${envelope.type}\u0000${envelope.code}\u0000${envelope.message}`, envelope)
  }
  return [...seen.values()]
}
