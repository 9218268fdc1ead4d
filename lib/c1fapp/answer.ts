// C1fApp's answer → records or a RelayError (contract §2). Pure: the plugin hands in what got
// received, or the error got raised.
import { ownerSetting, RelayError, type ErrorCode } from '../relay-error.js'

/** Answers C1fApp gives for values it cannot search: nothing found, not an error. */
export const NOTHING_FOUND = new Set([
  'Unsupported request ? IPv4/Domain only',
  'Empty Search! Available search: IPv4/URL/Domain'
])

export const BROKEN_MESSAGE = 'The data structure of C1fApp API has changed. The module is broken.'

/** How much of an upstream body an analyst is shown. */
export const MESSAGE_BODY_LIMIT = 300

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'invalid argument',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not found',
  429: 'too many requests'
}

const REGEXP_SYNTAX = /[.*+?^${}()|[\]\\]/g
const literal = (text: string): string => text.replace(REGEXP_SYNTAX, '\\$&')
/** hex digits in either case: `2f` matches `2f` and `2F` */
const eitherCase = (hex: string): string => hex.replace(/[a-f]/g, digit => `[${digit}${digit.toUpperCase()}]`)
const hex = (code: number, width = 1): string => eitherCase(code.toString(16).padStart(width, '0'))

/** JSON's short escapes, and `\/` (PHP escapes slashes) */
const JSON_SHORT: Record<string, string> = { '"': '\\"', '\\': '\\\\', '/': '\\/', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' }
/** HTML's named references of the characters HTML escapes */
const HTML_NAMED: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }

/**
 * The ways C1fApp could write one character of the key back: as it is; JSON-escaped (`\u00e1` in
 * either case, per UTF-16 unit, or a short escape); URL-encoded (its UTF-8 bytes as `%XX` in either
 * case, a space also as `+`, as form encoding writes it); HTML-escaped (a numeric reference,
 * decimal or hex, or a named one).
 */
function characterForms (character: string): string {
  const code = character.codePointAt(0) as number
  const forms = [
    literal(character),
    [...Array(character.length).keys()].map(i => `\\\\u${hex(character.charCodeAt(i), 4)}`).join(''),
    [...Buffer.from(character)].map(byte => `%${hex(byte, 2)}`).join(''),
    `&#0*${code};`,
    `&#[xX]0*${hex(code)};`
  ]
  if (character in JSON_SHORT) forms.push(literal(JSON_SHORT[character]))
  if (character in HTML_NAMED) forms.push(HTML_NAMED[character])
  if (character === ' ') forms.push('\\+')
  return `(?:${forms.join('|')})`
}

/** Keys this short could be part of C1fApp's own words; longer ones are blanked wherever they appear. */
export const SHORT_KEY_LENGTH = 8

/**
 * The key in every form, every time it occurs, each character written in any of its forms (a
 * body may mix them: JSON holding a URL-encoded key); a short key only where it stands as a whole
 * token (not inside a longer run of letters and digits: a one-letter key must not blank the "k" of "key").
 */
function keyPattern (key: string): RegExp {
  const forms = [...key].map(characterForms).join('')
  return key.length < SHORT_KEY_LENGTH
    ? new RegExp(`(?<![\\p{L}\\p{N}])${forms}(?![\\p{L}\\p{N}])`, 'gu')
    : new RegExp(forms, 'gu')
}

/** The body as an analyst may see it: never echoing the user's key (never empty: auth.ts), then cut. */
export function quote (body: string, key: string): string {
  const text = body.trim().replace(keyPattern(key), '<key>')
  return text.length > MESSAGE_BODY_LIMIT ? `${text.slice(0, MESSAGE_BODY_LIMIT)}…` : text
}

export function readAnswer (status: number, body: string, key: string): unknown[] {
  if (NOTHING_FOUND.has(body.trim())) return []
  if (status >= 300) {
    const code = STATUS_CODES[status] ?? 'unknown'
    throw new RelayError(code, `Unexpected response from C1fApp: ${quote(body, key) || `HTTP ${status}`}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    parsed = undefined
  }
  if (!Array.isArray(parsed)) throw new RelayError('key error', BROKEN_MESSAGE)
  return parsed
}

/** What a failed request (no usable answer at all) means for the analyst. */
export function transportError (error: { code?: string, message: string }, timeoutMs: number): RelayError {
  const code = error.code ?? ''
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS_')) {
    return new RelayError('unknown', `Unable to verify SSL certificate: ${error.message}`)
  }
  const reason = code === 'ETIMEDOUT'
    ? `no answer within ${timeoutMs} ms (ETIMEDOUT)`
    : CONNECTION_REASONS[code] ?? `the request failed (${code || error.message})`
  return new RelayError('connection error', `Unable to connect to C1fApp: ${reason}`)
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED', 'CERT_REJECTED', 'HOSTNAME_MISMATCH'
])

const CONNECTION_REASONS: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused (ECONNREFUSED)',
  ECONNRESET: 'the connection was reset (ECONNRESET)',
  EPIPE: 'the connection was closed while sending (EPIPE)',
  ENOTFOUND: 'the host name could not be resolved (ENOTFOUND)',
  EAI_AGAIN: 'the host name could not be resolved at the moment (EAI_AGAIN)',
  EHOSTUNREACH: 'the host is unreachable (EHOSTUNREACH)',
  ENETUNREACH: 'the network is unreachable (ENETUNREACH)',
  ERR_GOT_REQUEST_ERROR: 'the request failed'
}

/** The whole call's time is up (C1FAPP_DEADLINE_MS), retries included. */
export function deadlineError (deadlineMs: number): RelayError {
  return new RelayError('connection error', `Unable to connect to C1fApp: no answer within the relay's deadline of ${deadlineMs} ms (${ownerSetting('C1FAPP_DEADLINE_MS')})`)
}

/** An answer past C1FAPP_MAX_ANSWER_BYTES is refused instead of buffered without end. */
export function answerTooLarge (maxBytes: number): RelayError {
  return new RelayError('unknown', `C1fApp's answer is larger than ${maxBytes} bytes (${ownerSetting('C1FAPP_MAX_ANSWER_BYTES')}); it was not read`)
}

/**
 * The observables of a call whose answers were not read: its C1fApp answers held C1FAPP_CALL_MAX_BYTES
 * already (contract §3.2). A warning beside the others' data, fatal when no observable was answered.
 */
export function callBudgetPassed (notRead: number, maxBytes: number, othersAnswered: boolean): RelayError {
  return new RelayError('too many entities',
    `C1fApp's answers for this call passed ${maxBytes} bytes (${ownerSetting('C1FAPP_CALL_MAX_BYTES')}): ` +
    `${notRead} observable${notRead === 1 ? ' was' : 's were'} not read.`, othersAnswered ? 'warning' : 'fatal')
}
