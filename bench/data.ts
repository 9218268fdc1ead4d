// The observables and answers of the workloads, from the simulator's own data set.
import type { C1fAppRawRecord } from '../simulator/dataset.js'

export interface Observable { type: 'domain' | 'ip' | 'url', value: string }

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/

function typeOf (value: string): Observable['type'] {
  if (IPV4.test(value)) return 'ip'
  return /^https?:\/\//.test(value) ? 'url' : 'domain'
}

/** 4 domains, 3 IPs and 3 URLs the data set has records for (none with broken records). */
export function tenObservables (dataset: Map<string, C1fAppRawRecord[]>): Observable[] {
  const wanted = { domain: 4, ip: 3, url: 3 }
  const chosen: Observable[] = []
  for (const [value, records] of dataset) {
    const type = typeOf(value)
    const usable = records.every(record => record.reportime?.length > 0 && record.feed_label?.[0] !== '')
    if (usable && wanted[type] > 0) {
      wanted[type]--
      chosen.push({ type, value })
    }
  }
  if (chosen.length !== 10) throw new Error(`the data set has ${chosen.length} of the 10 observables W2 needs`)
  return chosen
}

/** `count` records for one value: its own records over and over, one day apart, newest first. */
export function manyRecords (records: C1fAppRawRecord[], count: number, today = new Date()): C1fAppRawRecord[] {
  const midnight = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate())
  return Array.from({ length: count }, (_, i) => ({
    ...records[i % records.length],
    reportime: [new Date(midnight - i * 24 * 60 * 60 * 1000).toISOString().slice(0, 10)]
  }))
}
