// The observed relations of a sighting (contract §3), by the type of the requested observable.
// Domains compare as `domainKey` says; URLs and IPs as written. The record's lists are already
// distinct and capped (lib/c1fapp/record.ts), so no relation can come twice.
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

/** An observable as JSON text: `{"type":…,"value":…}`. */
export function observableJson (type: string, value: string): string {
  return `{"type":"${type}","value":${JSON.stringify(value)}}`
}

function relation (source: string, name: string, related: string): string {
  return `{"origin":"${RELATION_ORIGIN}","relation":"${name}","source":${source},"related":${related}}`
}

/**
 * The sighting's observed relations as JSON text (the list's items, joined by commas), written
 * as the answer's bytes at once: a sighting's relations are most of its objects. `self` is
 * `observableJson` of the observable.
 */
export function observedRelations (observable: Observable, self: string, record: C1fAppRecord): string {
  let relations = ''
  const add = (text: string): void => { relations = relations === '' ? text : `${relations},${text}` }
  const key = observableKey(observable)
  switch (observable.type) {
    case 'domain':
      if (record.domains.length > 0 && domainKey(record.domains[0]) === key && isHttpUrl(record.address)) {
        add(relation(observableJson('url', record.address), 'Contains', self))
      }
      for (const ip of record.ips) add(relation(self, 'Resolved_To', observableJson('ip', ip)))
      break
    case 'ip':
      for (const domain of record.domains) {
        if (domainKey(domain) !== key) add(relation(observableJson('domain', domain), 'Resolved_To', self))
      }
      break
    case 'url':
      if (!isHttpUrl(record.address)) break
      for (const ip of record.ips) add(relation(self, 'Hosted_By', observableJson('ip', ip)))
      if (key === undefined) break
      for (const domain of record.domains) {
        if (isHostOrParent(domain, key)) add(relation(self, 'Contains', observableJson('domain', domain)))
      }
  }
  return relations
}

function counted (count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

/**
 * One `key error` warning for an observable whose records held more IPs or domains than the caps let
 * through, counting only what its relations would have used: a domain observable relates IPs (and
 * `domain[0]`, never cut), an ip observable domains, a url observable both when `address[0]` is an
 * http(s) URL (and domains only when it has a host).
 */
export function relationsCutWarning (observable: Observable, records: C1fAppRecord[]): RelayError | undefined {
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
  if (ips === 0 && domains === 0) return undefined
  const cut = [ips > 0 ? counted(ips, 'IP') : '', domains > 0 ? counted(domains, 'domain') : ''].filter(Boolean).join(' and ')
  return new RelayError('key error',
    `Left out ${cut} of C1fApp records for ${type} ${JSON.stringify(value)}: a record's relations use at most ` +
    `its first ${MAX_RECORD_IPS} distinct IPs and ${MAX_RECORD_DOMAINS} distinct domains.`, 'warning')
}
