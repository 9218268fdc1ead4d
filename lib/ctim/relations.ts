// The observed relations of a sighting (contract §3), by the type of the requested observable.
// Domains compare as `domainKey` says; URLs and IPs as written. The record's lists are already
// distinct and capped (lib/c1fapp/record.ts), so no relation can come twice from one record; a
// per-feed sighting (§3.3) takes the union of its records', made distinct and capped here.
import type { C1fAppRecord } from '../c1fapp/record.js'
import { domainKey, isHttpUrl, MAX_RECORD_DOMAINS, MAX_RECORD_IPS } from '../c1fapp/record.js'
import type { Observable } from '../observables.js'
import { RelayError } from '../relay-error.js'

/** Written with a Latin C: the original's first letter was a Cyrillic С by mistake. */
export const RELATION_ORIGIN = 'C1fApp Enrichment Module'

/** `scheme:` in front, other than `host:port` */
const SCHEME = /^[a-z][a-z\d+.-]*:(?!\d)/i

/**
 * The host of a url observable in `domainKey` form, or undefined when it has none. A value without a
 * scheme (`a.b.example.com/login.php`, as analysts and feeds write URLs) is read as if `http://` stood
 * in front of it.
 */
export function urlHost (value: string): string | undefined {
  const url = isHttpUrl(value) ? value : SCHEME.test(value) ? undefined : `http://${value}`
  return url !== undefined && URL.canParse(url) ? domainKey(new URL(url).hostname) : undefined
}

/** The host itself, or a parent domain of it that still holds a dot (never a bare TLD). */
function isHostOrParent (domain: string, host: string): boolean {
  const candidate = domainKey(domain)
  return candidate === host || (candidate.includes('.') && host.endsWith(`.${candidate}`))
}

// What an observable compares with, worked out once for all the records of that observable rather
// than once per record: the mapping goes observable by observable.
let last: { type: string, value: string, key: string | undefined } | undefined

function observableKey ({ type, value }: Observable): string | undefined {
  if (last === undefined || last.type !== type || last.value !== value) {
    last = { type, value, key: type === 'url' ? urlHost(value) : domainKey(value) }
  }
  return last.key
}

/** The relations eachRelation gives, by name. */
export const RELATION_NAMES = ['Contains', 'Resolved_To', 'Hosted_By'] as const
type RelationName = typeof RELATION_NAMES[number]

/** One observed relation: `value` of `type` is `related` to the observable (`source` when `selfIsRelated`). */
export type Relation = (name: RelationName, type: string, value: string, selfIsRelated: boolean) => void

/** The observed relations a record gives the observable (contract §3), in the order they are written. */
export function eachRelation (observable: Observable, record: C1fAppRecord, relation: Relation): void {
  const key = observableKey(observable)
  switch (observable.type) {
    case 'domain':
      if (record.domains.length > 0 && domainKey(record.domains[0]) === key && isHttpUrl(record.address)) {
        relation('Contains', 'url', record.address, true)
      }
      for (const ip of record.ips) relation('Resolved_To', 'ip', ip, false)
      break
    case 'ip':
      for (const domain of record.domains) {
        if (domainKey(domain) !== key) relation('Resolved_To', 'domain', domain, true)
      }
      break
    case 'url':
      if (!isHttpUrl(record.address)) break
      for (const ip of record.ips) relation('Hosted_By', 'ip', ip, false)
      if (key === undefined) break
      for (const domain of record.domains) {
        if (isHostOrParent(domain, key)) relation('Contains', 'domain', domain, false)
      }
  }
}

/**
 * The union of the relations of one feed's records, newest record first (contract §3.3): no
 * relation twice (domains compared as `domainKey` says), and at most MAX_RECORD_IPS distinct IPs and
 * MAX_RECORD_DOMAINS distinct domains, as for one record. Returns how many distinct IPs and domains
 * the caps left out.
 */
export function eachFeedRelation (observable: Observable, records: C1fAppRecord[], relation: Relation): { ips: number, domains: number } {
  const seen = new Set<string>()
  const leftOut = { ips: 0, domains: 0 }
  let ips = 0
  let domains = 0
  for (const record of records) {
    eachRelation(observable, record, (name, type, value, selfIsRelated) => {
      const id = `${type}\u0000${type === 'domain' ? domainKey(value) : value}`
      if (seen.has(id)) return
      seen.add(id)
      if (type === 'ip' && ips++ >= MAX_RECORD_IPS) leftOut.ips++
      else if (type === 'domain' && domains++ >= MAX_RECORD_DOMAINS) leftOut.domains++
      else relation(name, type, value, selfIsRelated)
    })
  }
  return leftOut
}

function counted (count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

/**
 * One `key error` warning for an observable whose records held more IPs or domains than the caps let
 * through, counting only what its relations would have used: a domain observable relates IPs (and
 * `domain[0]`, never cut), an ip observable domains, a url observable both when `address[0]` is an
 * http(s) URL (and domains only when it has a host). With `per-feed` sightings (`feeds`, each feed's
 * records newest first), what the caps left out of each feed's union counts too.
 */
export function relationsCutWarning (observable: Observable, records: C1fAppRecord[], feeds?: Iterable<C1fAppRecord[]>): RelayError | undefined {
  const { type, value } = observable
  const usesIps = type !== 'ip'
  const usesDomains = type === 'ip' || (type === 'url' && observableKey(observable) !== undefined)
  let ips = 0
  let domains = 0
  for (const { leftOut, address } of records) {
    if (leftOut === undefined || (type === 'url' && !isHttpUrl(address))) continue
    if (usesIps) ips += leftOut.ips
    if (usesDomains) domains += leftOut.domains
  }
  for (const feed of feeds ?? []) {
    const leftOut = eachFeedRelation(observable, feed, () => {})
    ips += leftOut.ips
    domains += leftOut.domains
  }
  if (ips === 0 && domains === 0) return undefined
  const cut = [ips > 0 ? counted(ips, 'IP') : '', domains > 0 ? counted(domains, 'domain') : ''].filter(Boolean).join(' and ')
  const rule = feeds === undefined
    ? `a record's relations use at most its first ${MAX_RECORD_IPS} distinct IPs and ${MAX_RECORD_DOMAINS} distinct domains.`
    : `a record's relations use at most its first ${MAX_RECORD_IPS} distinct IPs and ${MAX_RECORD_DOMAINS} distinct domains, ` +
      "and a feed's sighting as many of its records' together, the newest first."
  return new RelayError('key error', `Left out ${cut} of C1fApp records for ${type} ${JSON.stringify(value)}: ${rule}`, 'warning')
}
