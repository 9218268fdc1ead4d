// An entry of the shared cache (contract §5), as the relays write it to Redis: a header line with
// the entry's expiry and an HMAC-SHA256 of its name, expiry and body under a secret only the relays
// hold, then C1fApp's answer as it came. Whoever can write to the Redis cannot forge an entry,
// move one to another name (another key or value), or make one outlive its expiry.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

const VERSION = 'c1fapp-relay/1'
const HEADER = /^c1fapp-relay\/1 (\d{1,15}) ([\w-]{43})$/
const NEWLINE = 0x0a

/** The header's bytes at most: what an entry may hold over the answer itself. */
export const ENTRY_OVERHEAD_BYTES = 128

/**
 * The key entries are signed with, derived from the relays' secret (SECRET_KEY or
 * CACHE_REDIS_SECRET): the MACs Redis holds are never signatures under SECRET_KEY itself, which
 * also signs the HS256 tokens.
 */
export function entryKey (secret: string): Buffer {
  return createHmac('sha256', secret).update('c1fapp-relay shared cache entries').digest()
}

/** An entry's name for the answer known by `id` (a hash of the key and value) from the C1fApp at `endpoint`. */
export function entryName (prefix: string, endpoint: string, id: string): string {
  return prefix + createHash('sha256').update(endpoint).update('\u0000').update(id).digest('base64url')
}

function mac (key: Buffer, name: string, expiresAt: number, body: Buffer | string): Buffer {
  return createHmac('sha256', key).update(`${name}\n${expiresAt}\n`).update(body).digest()
}

/** The entry to write under `name` for `body`, valid until `expiresAt` (ms since the epoch). */
export function sealEntry (key: Buffer, name: string, expiresAt: number, body: string): string {
  return `${VERSION} ${expiresAt} ${mac(key, name, expiresAt, body).toString('base64url')}\n${body}`
}

export type Opened = { body: string } | { problem: string }

/** The body of an entry read under `name`, or why it is not to be used. */
export function openEntry (key: Buffer, name: string, entry: Buffer, now: number): Opened {
  const end = entry.indexOf(NEWLINE)
  const header = end === -1 || end > ENTRY_OVERHEAD_BYTES ? null : HEADER.exec(entry.subarray(0, end).toString('latin1'))
  if (header === null) return { problem: 'an entry the relay did not write' }
  const expiresAt = Number(header[1])
  const body = entry.subarray(end + 1)
  if (!timingSafeEqual(mac(key, name, expiresAt, body), Buffer.from(header[2], 'base64url'))) return { problem: 'an entry whose HMAC is wrong' }
  if (expiresAt <= now) return { problem: 'an expired entry' }
  return { body: body.toString('utf8') }
}
