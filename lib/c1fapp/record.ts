// Reading one C1fApp record (contract §2.1). C1fApp's answers are loosely typed, so every field is
// read defensively: a record without a usable date or feed is skipped by the caller, any other
// unusable field just contributes nothing. This runs for every record of every answer, so it walks
// each field once, without intermediate lists and without parsing URLs where a cheaper check decides.
import { isIP } from 'node:net'
import { domainToASCII } from 'node:url'
import { MAX_SOURCE_URI } from '../ctim/limits.js'
import type { Confidence } from '../ctim/vocabulary.js'

/**
 * A record's relations use at most this many distinct IPs, and as many distinct domains: nothing
 * bounds these lists in C1fApp's answers, and mapping one record of 20 000 IPs stalled the relay.
 */
export const MAX_RECORD_IPS = 100
export const MAX_RECORD_DOMAINS = 100
/**
 * What else one record may weigh (contract §3.2): its distinct assessments read (they become tags;
 * one record of two million cost an 8 MB answer), the longest domain that is a host name, and the
 * longest `address[0]` that gives a relation (the schema's bound of a URL).
 */
export const MAX_RECORD_ASSESSMENTS = 32
export const MAX_DOMAIN_LENGTH = 253
export const MAX_ADDRESS_LENGTH = MAX_SOURCE_URI

export interface C1fAppRecord {
  /** YYYY-MM-DD */
  reportime: string
  feed: string
  confidence: Confidence
  /** the longest piece of `source[0]`, when it is an http(s) URL */
  sourceUri?: string
  /** the first MAX_RECORD_ASSESSMENTS distinct non-empty assessments, trimmed */
  assessment: string[]
  /** the first MAX_RECORD_DOMAINS distinct host names (compared as `domainKey` does), trimmed */
  domains: string[]
  /** the first MAX_RECORD_IPS distinct IP addresses, trimmed */
  ips: string[]
  /** `address[0]`, trimmed, when it is at most MAX_ADDRESS_LENGTH characters */
  address?: string
  /** how many more distinct IPs and domains the record held than the caps let through, when any */
  leftOut?: { ips: number, domains: number }
}

/** C1fApp's fields are lists; a lone value is read as a list of one. */
function first (value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value
}

/** The field's non-empty strings, trimmed, that `usable` accepts. */
function nonEmptyStrings (value: unknown, usable: (value: string) => boolean): string[] {
  const strings: string[] = []
  if (value === undefined || value === null) return strings
  for (const item of Array.isArray(value) ? value : [value]) {
    if (typeof item !== 'string') continue
    const trimmed = item.trim()
    if (trimmed !== '' && usable(trimmed)) strings.push(trimmed)
  }
  return strings
}

const NON_ASCII = /[\u0080-\uffff]/

/**
 * The form in which domain names compare: case, a trailing dot and Unicode against punycode make
 * no difference (`bücher.example` is `xn--bcher-kva.example`, a favourite of look-alike phishing).
 */
export function domainKey (name: string): string {
  // Only a name with non-ASCII characters needs IDNA; it answers '' for a name it cannot convert.
  const ascii = NON_ASCII.test(name) ? domainToASCII(name) || name.toLowerCase() : name.toLowerCase()
  return ascii.endsWith('.') ? ascii.slice(0, -1) : ascii
}

const HOST_NAME = /^[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*\.?$/i

/**
 * A host name of at most MAX_DOMAIN_LENGTH characters (a trailing dot aside), in Unicode or
 * punycode: labels of letters, digits, `-` and `_`. The length is checked first: C1fApp's strings
 * are unbounded, and IDNA work on a megabyte of text is wasted.
 */
export function isHostName (name: string): boolean {
  const length = name.endsWith('.') ? name.length - 1 : name.length
  if (length > MAX_DOMAIN_LENGTH) return false
  const ascii = NON_ASCII.test(name) ? domainToASCII(name) : name
  return ascii.length - (ascii.endsWith('.') ? 1 : 0) <= MAX_DOMAIN_LENGTH && HOST_NAME.test(ascii)
}

/** An IPv4 or IPv6 address (with a zone, at most 64 characters: a long string is not looked at). */
const isIpAddress = (value: string): boolean => value.length <= 64 && isIP(value) !== 0

const asWritten = (value: string): string => value

/**
 * The distinct non-empty strings of a field that `usable` accepts, trimmed, the first `cap` of
 * them; `leftOut` counts the other distinct ones.
 */
function distinctStrings (value: unknown, keyOf: (value: string) => string, cap: number, usable: (value: string) => boolean): { kept: string[], leftOut: number } {
  const kept = nonEmptyStrings(value, usable)
  if (kept.length < 2) return { kept, leftOut: 0 }
  const seen = new Set<string>()
  let length = 0
  let leftOut = 0
  for (const item of kept) {
    const key = keyOf(item)
    if (seen.has(key)) continue
    seen.add(key)
    if (length < cap) kept[length++] = item
    else leftOut++
  }
  kept.length = length
  return { kept, leftOut }
}

const DATE = /^\d{4}-\d{2}-\d{2}$/
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** The number the ASCII digits of text[start, end) write. */
function digits (text: string, start: number, end: number): number {
  let number = 0
  for (let i = start; i < end; i++) number = number * 10 + text.charCodeAt(i) - 0x30
  return number
}

/** A real calendar day written YYYY-MM-DD (years before 100 are refused: JavaScript dates read them as 19xx). */
export function isDate (value: unknown): value is string {
  if (typeof value !== 'string' || !DATE.test(value)) return false
  // Arithmetic on the digits, not a Date nor slices: this runs once per record, and a Date per
  // record showed in profiles.
  const year = digits(value, 0, 4)
  const month = digits(value, 5, 7)
  const day = digits(value, 8, 10)
  if (year < 100 || month < 1 || month > 12 || day < 1) return false
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1])
}

const HTTP_SCHEME = /^https?:/i
const TAB_OR_NEWLINE = /[\t\n\r]/

/** An absolute URL with scheme http or https. */
export function isHttpUrl (value: unknown): value is string {
  if (typeof value !== 'string') return false
  if (HTTP_SCHEME.test(value)) return URL.canParse(value)
  // The URL parser drops leading controls and spaces, and every tab and newline: only then can a
  // string that does not start with the scheme still be an http(s) URL.
  if (value.charCodeAt(0) > 0x20 && !TAB_OR_NEWLINE.test(value)) return false
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
  const sources = first(value)
  if (typeof sources !== 'string') return undefined
  let longest = ''
  for (let start = 0; start <= sources.length;) {
    const comma = sources.indexOf(',', start)
    const end = comma === -1 ? sources.length : comma
    const piece = sources.slice(start, end).trim()
    if (piece.length > longest.length) longest = piece
    start = end + 1
  }
  // a URL longer than the schema's bound is left out of the answer (fitUri): not kept either
  return longest.length <= MAX_SOURCE_URI && isHttpUrl(longest) ? longest : undefined
}

/**
 * The first MAX_RECORD_ASSESSMENTS distinct non-empty assessments, trimmed: the list is read no
 * further, so two million of them cost no more than 32.
 */
function readAssessments (value: unknown): string[] {
  const distinct = new Set<string>()
  if (value === undefined || value === null) return []
  for (const item of Array.isArray(value) ? value : [value]) {
    if (typeof item !== 'string') continue
    const trimmed = item.trim()
    if (trimmed === '') continue
    distinct.add(trimmed)
    if (distinct.size === MAX_RECORD_ASSESSMENTS) break
  }
  return [...distinct]
}

/** The record, or undefined when it has no usable `reportime` or `feed_label[0]`. */
export function readRecord (raw: unknown): C1fAppRecord | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined
  const fields = raw as Record<string, unknown>
  const reportime = first(fields.reportime)
  const feed = first(fields.feed_label)
  if (!isDate(reportime) || typeof feed !== 'string' || feed.trim() === '') return undefined
  const address = first(fields.address)
  const domains = distinctStrings(fields.domain, domainKey, MAX_RECORD_DOMAINS, isHostName)
  const ips = distinctStrings(fields.ip_address, asWritten, MAX_RECORD_IPS, isIpAddress)
  const record: C1fAppRecord = {
    reportime,
    feed: feed.trim(),
    confidence: readConfidence(first(fields.confidence)),
    assessment: readAssessments(fields.assessment),
    domains: domains.kept,
    ips: ips.kept
  }
  const sourceUri = readSourceUri(fields.source)
  if (sourceUri !== undefined) record.sourceUri = sourceUri
  if (typeof address === 'string') {
    const trimmed = address.trim()
    if (trimmed.length <= MAX_ADDRESS_LENGTH) record.address = trimmed
  }
  if (ips.leftOut > 0 || domains.leftOut > 0) record.leftOut = { ips: ips.leftOut, domains: domains.leftOut }
  return record
}

/** An answer's records as the mapping uses them: the usable ones, newest `reportime` first (stable). */
export interface RecordsRead {
  records: C1fAppRecord[]
  /** how many records C1fApp gave, usable or not */
  received: number
  /** the answer cache keeps these very records for further calls: the mapping keeps what it writes from them too */
  kept: boolean
}

/**
 * C1fApp's records read as soon as their answer arrives: while the call waits for its other
 * answers it holds these few objects a record instead of the parsed answer's dozens.
 */
export function readRecords (raw: unknown[], kept = false): RecordsRead {
  const records: C1fAppRecord[] = []
  for (const item of raw) {
    const record = readRecord(item)
    if (record !== undefined) records.push(record)
  }
  records.sort((a, b) => a.reportime < b.reportime ? 1 : a.reportime > b.reportime ? -1 : 0)
  return { records, received: raw.length, kept }
}
