// Reading one C1fApp record (contract §2.1). C1fApp's answers are loosely typed, so every field is
// read defensively: a record without a usable date or feed is skipped by the caller, any other
// unusable field just contributes nothing.

export const CONFIDENCE_LEVELS = ['High', 'Medium', 'Low', 'Unknown'] as const
export type Confidence = typeof CONFIDENCE_LEVELS[number]

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

const DATE = /^\d{4}-\d{2}-\d{2}$/
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** A real calendar day written YYYY-MM-DD (years before 100 are refused: JavaScript dates read them as 19xx). */
export function isDate (value: unknown): value is string {
  if (typeof value !== 'string' || !DATE.test(value)) return false
  // Arithmetic, not a Date: this runs once per record, and a Date per record showed in profiles.
  const year = Number(value.slice(0, 4))
  const month = Number(value.slice(5, 7))
  const day = Number(value.slice(8, 10))
  if (year < 100 || month < 1 || month > 12 || day < 1) return false
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1])
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
