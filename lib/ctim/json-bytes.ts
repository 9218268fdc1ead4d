// A JSON list's items written straight into UTF-8 bytes, piece by piece. Sightings and their
// relationships are most of an answer. Each written as a string first, they were most of what a
// call allocated (a tree of pieces per item, flattened again to be encoded): garbage that set off
// the young collections which promote the records of the calls in flight. Written here, an item's
// fixed text is copied from bytes encoded once, and C1fApp's strings are escaped as they are copied.

const COMMA = 0x2c
const QUOTE = 0x22
const BACKSLASH = 0x5c
const START_BYTES = 64 * 1024
/** a writer one large answer grew past this lets that memory go when it starts again */
const KEPT_BYTES = 8 * 1024 * 1024

/** JSON's short escapes of control characters, by character code */
const SHORT_ESCAPES: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 }
const HEX = '0123456789abcdef'

export class JsonBytes {
  bytes = Buffer.allocUnsafe(START_BYTES)
  length = 0
  /** the items written */
  count = 0

  /** one more item: the comma before it, when it is not the first */
  next (): void {
    if (this.count++ > 0) this.byte(COMMA)
  }

  /** one byte (an ASCII character) */
  byte (code: number): void {
    this.room(1)
    this.bytes[this.length++] = code
  }

  /** bytes as they are: JSON text encoded once */
  raw (bytes: Buffer): void {
    this.room(bytes.length)
    this.bytes.set(bytes, this.length)
    this.length += bytes.length
  }

  /** text known to be ASCII with nothing to escape: ids, dates, CTIM's words */
  ascii (text: string): void {
    this.room(text.length)
    for (let i = 0; i < text.length; i++) this.bytes[this.length + i] = text.charCodeAt(i)
    this.length += text.length
  }

  /** any text as a JSON string: exactly the bytes of JSON.stringify(text), UTF-8 encoded */
  quoted (text: string): void {
    // at most six bytes a UTF-16 unit (\u00XX, or \uDXXX for a lone surrogate), and the quotes
    this.room(text.length * 6 + 2)
    const start = this.length
    const bytes = this.bytes
    let at = start
    bytes[at++] = QUOTE
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i)
      if (code >= 0x20 && code < 0x80 && code !== QUOTE && code !== BACKSLASH) {
        bytes[at++] = code
      } else if (code >= 0x80) {
        // beyond ASCII (UTF-8, surrogate pairs, lone surrogates): JSON.stringify and the encoder
        this.length = start + bytes.write(JSON.stringify(text), start)
        return
      } else {
        bytes[at++] = BACKSLASH
        const short = code === QUOTE || code === BACKSLASH ? code : SHORT_ESCAPES[code]
        if (short !== undefined) {
          bytes[at++] = short
        } else {
          bytes[at++] = 0x75 // u00XX
          bytes[at++] = 0x30
          bytes[at++] = 0x30
          bytes[at++] = HEX.charCodeAt(code >> 4)
          bytes[at++] = HEX.charCodeAt(code & 0xf)
        }
      }
    }
    bytes[at++] = QUOTE
    this.length = at
  }

  /** `count` more items, written before as `bytes` */
  items (bytes: Buffer, count: number): void {
    if (count === 0) return
    if (this.count > 0) this.byte(COMMA)
    this.raw(bytes)
    this.count += count
  }

  /** what was written: a view, valid until the next `start` */
  written (): Buffer {
    return this.bytes.subarray(0, this.length)
  }

  /** empty again */
  start (): void {
    if (this.bytes.length > KEPT_BYTES) this.bytes = Buffer.allocUnsafe(START_BYTES)
    this.length = 0
    this.count = 0
  }

  private room (more: number): void {
    if (this.length + more <= this.bytes.length) return
    const grown = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.length + more))
    this.bytes.copy(grown, 0, 0, this.length)
    this.bytes = grown
  }
}
