// The observed relations of a sighting (contract §3), by the type of the requested observable.
import type { C1fAppRecord } from '../c1fapp-record.js'
import { isHttpUrl } from '../c1fapp-record.js'
import type { Observable } from '../observables.js'
import type { CtimObservable, ObservedRelation } from './schemas.js'

/** Written with a Latin C: the original's first letter was a Cyrillic С by mistake. */
export const RELATION_ORIGIN = 'C1fApp Enrichment Module'

function sameDomain (a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase()
}

/** The URL's host itself, or a parent domain of it that still holds a dot (never a bare TLD). */
function isHostOrParent (domain: string, host: string): boolean {
  const candidate = domain.toLowerCase()
  return candidate === host || (candidate.includes('.') && host.endsWith(`.${candidate}`))
}

function urlHost (value: string): string | undefined {
  return isHttpUrl(value) ? new URL(value).hostname.toLowerCase() : undefined
}

function candidates (observable: Observable, record: C1fAppRecord): Array<[CtimObservable, string, CtimObservable]> {
  const self: CtimObservable = { type: observable.type, value: observable.value }
  const address = isHttpUrl(record.address) ? record.address : undefined
  switch (observable.type) {
    case 'domain': {
      const contains: Array<[CtimObservable, string, CtimObservable]> =
        address !== undefined && record.domains[0] !== undefined && sameDomain(record.domains[0], observable.value)
          ? [[{ type: 'url', value: address }, 'Contains', self]]
          : []
      return [...contains, ...record.ips.map((ip): [CtimObservable, string, CtimObservable] => [self, 'Resolved_To', { type: 'ip', value: ip }])]
    }
    case 'ip':
      return record.domains
        .filter(domain => !sameDomain(domain, observable.value))
        .map(domain => [{ type: 'domain', value: domain }, 'Resolved_To', self])
    case 'url': {
      if (address === undefined) return []
      const host = urlHost(observable.value)
      return [
        ...record.ips.map((ip): [CtimObservable, string, CtimObservable] => [self, 'Hosted_By', { type: 'ip', value: ip }]),
        ...record.domains
          .filter(domain => host !== undefined && isHostOrParent(domain, host))
          .map((domain): [CtimObservable, string, CtimObservable] => [self, 'Contains', { type: 'domain', value: domain }])
      ]
    }
  }
}

/** Domains compare without case; URLs and IPs as written. */
function identity ({ type, value }: CtimObservable): string {
  return `${type}:${type === 'domain' ? value.toLowerCase() : value}`
}

export function observedRelations (observable: Observable, record: C1fAppRecord): ObservedRelation[] {
  // A record holds a handful of relations at most: comparing with the ones kept beats hashing keys.
  const seen: Array<[string, string, string]> = []
  const relations: ObservedRelation[] = []
  for (const [source, relation, related] of candidates(observable, record)) {
    const from = identity(source)
    const to = identity(related)
    if (seen.some(([a, name, b]) => a === from && name === relation && b === to)) continue
    seen.push([from, relation, to])
    relations.push({ origin: RELATION_ORIGIN, relation, source, related })
  }
  return relations
}
