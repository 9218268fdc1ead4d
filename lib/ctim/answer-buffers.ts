// The memory observe answers are written into, lent per answer and given back once it is sent.
// Allocated per call, an answer's bytes were freed only when a collection found their Buffer dead:
// under load a dozen 1 MB answers waited for one, and every answer was written on fresh pages.

/** Smaller answers come from Node's own pool or a small allocation: not worth keeping. */
export const LENT_FROM = 16 * 1024
/** At most this many bytes wait to be lent again; an answer given back past them is let go. */
export const KEPT_BYTES = 8 * 1024 * 1024

/** free memory, smallest first */
const free: ArrayBuffer[] = []
let freeBytes = 0
/** what is lent and not yet given back: a Buffer never given back (a call cut short) is simply collected */
const lent = new WeakSet<ArrayBuffer>()

/** `size` bytes to write an answer into, lent until giveBack; their content is not cleared. */
export function lend (size: number): Buffer {
  if (size < LENT_FROM) return Buffer.allocUnsafe(size)
  const at = free.findIndex(memory => memory.byteLength >= size)
  let memory: ArrayBuffer
  if (at === -1) {
    // a power of two, so that an answer a little larger than the last still fits; past KEPT_BYTES
    // the memory is never kept, so no more than asked
    memory = Buffer.allocUnsafeSlow(size > KEPT_BYTES ? size : 2 ** Math.ceil(Math.log2(size))).buffer as ArrayBuffer
  } else {
    memory = free.splice(at, 1)[0]
    freeBytes -= memory.byteLength
  }
  lent.add(memory)
  return Buffer.from(memory, 0, size)
}

/**
 * `bytes` (any view of memory `lend` gave) is sent or dropped: its memory serves the next answer.
 * Nothing else may read it after this; a Buffer lend did not give, or given back already, is ignored.
 */
export function giveBack (bytes: Buffer): void {
  const memory = bytes.buffer as ArrayBuffer
  if (!lent.delete(memory)) return
  if (freeBytes + memory.byteLength > KEPT_BYTES) return
  let at = 0
  while (at < free.length && free[at].byteLength < memory.byteLength) at++
  free.splice(at, 0, memory)
  freeBytes += memory.byteLength
}

/** bytes waiting to be lent again (for the tests) */
export function keptBytes (): number {
  return freeBytes
}
