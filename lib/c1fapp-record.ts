// Reading one C1fApp record (contract §2.1). C1fApp's answers are loosely typed, so every field is
// read defensively: a record without a usable date or feed is skipped by the caller, any other
// unusable field just contributes nothing.

export type Confidence = 'High' | 'Medium' | 'Low' | 'Unknown'

export interface C1fAppRecord {
  /** YYYY-MM-DD */
  reportime: string
  feed: string
  confidence: Confidence
  /** the longest piece of `source[0]`, when it is an http(s) URL */
  sourceUri?: string
  assessment: string[]
  domains: string[]
  ips: string[]
  /** `address[0]` */
  address?: string
}

/** C1fApp's fields are lists; a lone value is read as a list of one. */
function list (value: unknown): unknown[] {
  if (value === undefined || value === null) return []
  return Array.isArray(value) ? value : [value]
}

function nonEmptyStrings (value: unknown): string[] {
  return list(value).filter((item): item is string => typeof item === 'string' && item.trim() !== '').map(item => item.trim())
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/

export function isDate (value: unknown): value is string {
  if (typeof value !== 'string') return false
  const match = DATE.exec(value)
  if (!match) return false
  const [year, month, day] = match.slice(1).map(Number)
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

/** An absolute URL with scheme http or https. */
export function isHttpUrl (value: unknown): value is string {
  if (typeof value !== 'string') return false
  try {
    const { protocol } = new URL(value)
    return protocol === 'http:' || protocol === 'https:'
  } catch {
    return false
  }
}

/** 0–25 Low, 26–79 Medium, 80–100 High; anything else Unknown (the original emitted null). */
export function readConfidence (value: unknown): Confidence {
  const number = typeof value === 'number'
    ? value
    : typeof value === 'string' && value.trim() !== '' ? Number(value.trim()) : Number.NaN
  if (!Number.isFinite(number) || number < 0 || number > 100) return 'Unknown'
  const whole = Math.trunc(number)
  if (whole <= 25) return 'Low'
  if (whole <= 79) return 'Medium'
  return 'High'
}

/** `source[0]` may be several URLs joined by commas: the longest one says most. */
function readSourceUri (value: unknown): string | undefined {
  const [first] = list(value)
  if (typeof first !== 'string') return undefined
  const longest = first.split(',').map(piece => piece.trim())
    .reduce((best, piece) => piece.length > best.length ? piece : best, '')
  return isHttpUrl(longest) ? longest : undefined
}

/** The record, or undefined when it has no usable `reportime` or `feed_label[0]`. */
export function readRecord (raw: unknown): C1fAppRecord | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined
  const fields = raw as Record<string, unknown>
  const [reportime] = list(fields.reportime)
  const [feed] = list(fields.feed_label)
  if (!isDate(reportime) || typeof feed !== 'string' || feed.trim() === '') return undefined
  const [address] = list(fields.address)
  const record: C1fAppRecord = {
    reportime,
    feed: feed.trim(),
    confidence: readConfidence(list(fields.confidence)[0]),
    assessment: nonEmptyStrings(fields.assessment),
    domains: nonEmptyStrings(fields.domain),
    ips: nonEmptyStrings(fields.ip_address)
  }
  const sourceUri = readSourceUri(fields.source)
  if (sourceUri !== undefined) record.sourceUri = sourceUri
  if (typeof address === 'string') record.address = address.trim()
  return record
}
