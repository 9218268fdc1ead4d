// A synthetic C1fApp data set: realistic in shape (contract §2.1, quirks included), fictitious in
// content. Names use the reserved .example TLD and example.* domains, addresses the documentation
// ranges, so nothing here points at a real host.

export interface C1fAppRawRecord {
  feed_label: string[]
  domain: string[]
  description: string[]
  derived: string
  address: string[]
  ip_address: string[]
  asn: string[]
  confidence: Array<number | string>
  country: string[]
  reportime: string[]
  source: string[]
  asn_desc: string[]
  assessment: string[]
}

interface Feed {
  label: string
  assessment: string
  confidence: [number, number]
  source: (id: number) => string
}

const PHISHTANK: Feed = {
  label: 'Phishtank',
  assessment: 'phishing',
  confidence: [85, 100],
  source: id => `http://www.phishtank.com/phish_detail.php?phish_id=${id}`
}
const OPENPHISH: Feed = {
  label: 'OpenPhish',
  assessment: 'phishing',
  confidence: [60, 95],
  source: id => `https://openphish.com/feed.txt#${id}`
}
const URLHAUS: Feed = {
  label: 'URLhaus',
  assessment: 'malware',
  confidence: [50, 90],
  source: id => `https://urlhaus.abuse.ch/url/${id}/`
}
const FEODO: Feed = {
  label: 'Feodo Tracker',
  assessment: 'botnet',
  confidence: [75, 100],
  source: id => `https://feodotracker.abuse.ch/browse/host/${id}/`
}
const SPAMHAUS: Feed = {
  label: 'Spamhaus DROP',
  assessment: 'Spam',
  confidence: [40, 80],
  source: id => `https://www.spamhaus.org/sbl/query/SBL${id}`
}
const BAMBENEK: Feed = {
  label: 'Bambenek C2',
  assessment: 'botnet',
  confidence: [20, 85],
  source: id => `http://osint.bambenekconsulting.com/feeds/c2-dommasterlist.txt#${id}`
}
const ALEXA: Feed = {
  label: 'Alexa Top Sites',
  assessment: 'whitelist',
  confidence: [0, 25],
  source: id => `http://s3.amazonaws.com/alexa-static/top-1m.csv.zip#${id}`
}

// A scanner list with low confidence: listed, but the relay's verdict is Unknown (contract §3.1).
const SCANNERS: Feed = {
  label: 'Blocklist Scanners',
  assessment: 'scanner',
  confidence: [5, 25],
  source: id => `https://lists.blocklist.example/ssh.txt#${id}`
}

const PHISH_DOMAIN = 'paypal-account-verify.example'
const PHISH_HOST = `login.${PHISH_DOMAIN}`
const PHISH_URL = `http://${PHISH_HOST}/signin/index.php`
const MALWARE_DOMAIN = 'update-flash-player.example'
const MALWARE_URL = `https://${MALWARE_DOMAIN}/download/flashplayer_install.exe`
const C2_DOMAIN = 'c2-gate.example.net'
const C2_URL = `https://${C2_DOMAIN}/gate.php`
const SPAM_DOMAIN = 'bulk-mailer.example.org'
const CLEAN_DOMAIN = 'www.example.com'
const CLEAN_URL = `https://${CLEAN_DOMAIN}/docs/shared/invoice-0042.html`
const C2_IP = '192.0.2.44'
const CLEAN_IP = '192.0.2.10'
const MALWARE_IP = '198.51.100.23'
const MALWARE_IP_URL = `http://${MALWARE_IP}/bins/mozi.m`
const PHISH_IP = '203.0.113.7'
const SPAM_IP = '203.0.113.99'
const BROKEN_DOMAIN = 'broken-records.example'
const SCANNER_IP = '198.51.100.200'

export const DEMO_OBSERVABLES: Array<{ type: 'domain' | 'ip' | 'url', value: string }> = [
  { type: 'domain', value: PHISH_DOMAIN },
  { type: 'ip', value: PHISH_IP },
  { type: 'url', value: PHISH_URL },
  // the demo's three kinds of verdict: the three above are Malicious, these Suspicious and Unknown
  { type: 'domain', value: SPAM_DOMAIN },
  { type: 'ip', value: SCANNER_IP }
]

// One observable value and what its records may say about it. `domains` and `ips` are the pools
// the records' `domain` and `ip_address` draw from; for a url value, `domains` is [host, parent]
// and records hold the host, sometimes followed by the parent.
interface Subject {
  type: 'domain' | 'ip' | 'url'
  value: string
  description: string
  country: string
  asn: [string, string]
  domains: string[]
  ips: string[]
  addresses: string[]
  feeds: Array<[Feed, number]>
}

const SUBJECTS: Subject[] = [
  {
    type: 'domain',
    value: PHISH_DOMAIN,
    description: 'PayPal',
    country: 'US',
    asn: ['64500', 'EXAMPLE-HOSTING-A'],
    domains: [PHISH_DOMAIN],
    ips: [PHISH_IP, MALWARE_IP, ''],
    addresses: [`http://${PHISH_DOMAIN}/webapps/signin/`, `https://${PHISH_DOMAIN}/login.php?cmd=_login-submit`],
    feeds: [[PHISHTANK, 20], [OPENPHISH, 14]]
  },
  {
    type: 'domain',
    value: MALWARE_DOMAIN,
    description: 'malware_download',
    country: 'NL',
    asn: ['64501', 'EXAMPLE-BULLETPROOF-B'],
    domains: [MALWARE_DOMAIN],
    ips: [MALWARE_IP],
    addresses: [MALWARE_URL, `http://${MALWARE_DOMAIN}/flash/update.zip`],
    feeds: [[URLHAUS, 24]]
  },
  {
    type: 'domain',
    value: C2_DOMAIN,
    description: 'Emotet',
    country: 'RU',
    asn: ['64502', 'EXAMPLE-VPS-C'],
    domains: [C2_DOMAIN],
    ips: [C2_IP, ''],
    addresses: [C2_URL, `http://${C2_DOMAIN}/`],
    feeds: [[FEODO, 14], [BAMBENEK, 16]]
  },
  {
    type: 'domain',
    value: SPAM_DOMAIN,
    description: 'Spam source',
    country: 'CN',
    asn: ['64503', 'EXAMPLE-TELECOM-D'],
    domains: [SPAM_DOMAIN],
    ips: [SPAM_IP],
    addresses: [`http://${SPAM_DOMAIN}/unsubscribe`],
    feeds: [[SPAMHAUS, 18]]
  },
  {
    type: 'domain',
    value: CLEAN_DOMAIN,
    description: 'Example Domain',
    country: 'US',
    asn: ['64496', 'EXAMPLE-CDN-E'],
    domains: [CLEAN_DOMAIN],
    ips: [CLEAN_IP],
    addresses: [`https://${CLEAN_DOMAIN}/`],
    feeds: [[ALEXA, 12], [OPENPHISH, 4]]
  },
  {
    type: 'ip',
    value: C2_IP,
    description: 'Emotet',
    country: 'RU',
    asn: ['64502', 'EXAMPLE-VPS-C'],
    domains: [C2_DOMAIN, ''],
    ips: [C2_IP],
    addresses: [C2_URL, `http://${C2_IP}:8080/`],
    feeds: [[FEODO, 18], [BAMBENEK, 10]]
  },
  {
    type: 'ip',
    value: MALWARE_IP,
    description: 'malware_download',
    country: 'NL',
    asn: ['64501', 'EXAMPLE-BULLETPROOF-B'],
    domains: [MALWARE_DOMAIN, PHISH_DOMAIN, ''],
    ips: [MALWARE_IP],
    addresses: [MALWARE_URL, MALWARE_IP_URL],
    feeds: [[URLHAUS, 16], [PHISHTANK, 6]]
  },
  {
    type: 'ip',
    value: PHISH_IP,
    description: 'PayPal',
    country: 'US',
    asn: ['64500', 'EXAMPLE-HOSTING-A'],
    domains: [PHISH_DOMAIN, PHISH_HOST],
    ips: [PHISH_IP],
    addresses: [PHISH_URL, `http://${PHISH_DOMAIN}/webapps/signin/`],
    feeds: [[PHISHTANK, 12], [OPENPHISH, 10]]
  },
  {
    type: 'ip',
    value: SPAM_IP,
    description: 'Spam source',
    country: 'CN',
    asn: ['64503', 'EXAMPLE-TELECOM-D'],
    domains: [SPAM_DOMAIN, ''],
    ips: [SPAM_IP],
    addresses: [`http://${SPAM_IP}/`],
    feeds: [[SPAMHAUS, 22]]
  },
  {
    type: 'url',
    value: PHISH_URL,
    description: 'PayPal',
    country: 'US',
    asn: ['64500', 'EXAMPLE-HOSTING-A'],
    domains: [PHISH_HOST, PHISH_DOMAIN],
    ips: [PHISH_IP, ''],
    addresses: [PHISH_URL],
    feeds: [[PHISHTANK, 12], [OPENPHISH, 8]]
  },
  {
    type: 'url',
    value: MALWARE_URL,
    description: 'malware_download',
    country: 'NL',
    asn: ['64501', 'EXAMPLE-BULLETPROOF-B'],
    domains: [MALWARE_DOMAIN],
    ips: [MALWARE_IP],
    addresses: [MALWARE_URL],
    feeds: [[URLHAUS, 14]]
  },
  {
    type: 'url',
    value: MALWARE_IP_URL,
    description: 'Mozi',
    country: 'NL',
    asn: ['64501', 'EXAMPLE-BULLETPROOF-B'],
    domains: [''],
    ips: [MALWARE_IP],
    addresses: [MALWARE_IP_URL],
    feeds: [[URLHAUS, 12]]
  },
  {
    type: 'url',
    value: C2_URL,
    description: 'Emotet',
    country: 'RU',
    asn: ['64502', 'EXAMPLE-VPS-C'],
    domains: [C2_DOMAIN],
    ips: [C2_IP],
    addresses: [C2_URL],
    feeds: [[FEODO, 8], [BAMBENEK, 6]]
  },
  {
    type: 'url',
    value: CLEAN_URL,
    description: 'Microsoft',
    country: 'US',
    asn: ['64496', 'EXAMPLE-CDN-E'],
    domains: [CLEAN_DOMAIN, 'example.com'],
    ips: [CLEAN_IP],
    addresses: [CLEAN_URL],
    feeds: [[PHISHTANK, 8], [ALEXA, 3]]
  },
  {
    type: 'domain',
    value: BROKEN_DOMAIN,
    description: 'Other',
    country: 'DE',
    asn: ['64504', 'EXAMPLE-HOSTING-F'],
    domains: [BROKEN_DOMAIN],
    ips: ['203.0.113.150'],
    addresses: [`http://${BROKEN_DOMAIN}/verify/`],
    feeds: [[OPENPHISH, 5]]
  },
  {
    type: 'ip',
    value: SCANNER_IP,
    description: 'SSH scanner',
    country: 'BR',
    asn: ['64505', 'EXAMPLE-ISP-G'],
    domains: [''],
    ips: [SCANNER_IP],
    addresses: [`http://${SCANNER_IP}/`],
    feeds: [[SCANNERS, 9]]
  }
]

// mulberry32: a tiny seeded PRNG, so the data set is the same on every run for a given date
function mulberry32 (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6D2B79F5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const DAY = 24 * 60 * 60 * 1000

export function buildDataset (today: Date = new Date()): Map<string, C1fAppRawRecord[]> {
  const random = mulberry32(0xC1FA)
  const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1))
  const pick = <T>(list: T[]): T => list[int(0, list.length - 1)]
  const chance = (p: number): boolean => random() < p
  // the day, not the instant: the same date gives the same data set at any hour
  const midnight = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate())

  function domainsFor (subject: Subject): string[] {
    if (subject.type === 'url') return chance(0.4) ? subject.domains : subject.domains.slice(0, 1)
    if (subject.type === 'domain') return [subject.value]
    const first = pick(subject.domains)
    const second = pick(subject.domains)
    return chance(0.3) && first !== second ? [first, second] : [first]
  }

  function sourceFor (feed: Feed): string[] {
    const urls = [feed.source(int(1000000, 9999999))]
    // C1fApp sometimes packs several reports of one feed into source[0], joined by commas
    if (chance(0.2)) urls.push(feed.source(int(1000000, 9999999)))
    return [urls.join(','), urls[0]]
  }

  function recordFor (subject: Subject, feed: Feed): C1fAppRawRecord {
    const confidence = int(...feed.confidence)
    const unknownAsn = chance(0.25)
    return {
      feed_label: [feed.label],
      domain: domainsFor(subject),
      description: [subject.description],
      derived: 'direct',
      address: [pick(subject.addresses)],
      ip_address: subject.type === 'ip' ? [subject.value] : [pick(subject.ips)],
      asn: [unknownAsn ? '-' : subject.asn[0]],
      confidence: [chance(0.35) ? String(confidence) : confidence],
      country: [subject.country],
      reportime: [new Date(midnight - int(0, 89) * DAY).toISOString().slice(0, 10)],
      source: sourceFor(feed),
      asn_desc: [unknownAsn ? '-' : subject.asn[1]],
      assessment: [feed.assessment]
    }
  }

  const dataset = new Map<string, C1fAppRawRecord[]>()
  for (const subject of SUBJECTS) {
    const records = subject.feeds.flatMap(([feed, count]) =>
      Array.from({ length: count }, () => recordFor(subject, feed)))
    dataset.set(subject.value.toLowerCase(), records)
  }

  // two records the relay cannot use, among good ones: it skips them and warns
  const broken = dataset.get(BROKEN_DOMAIN) as C1fAppRawRecord[]
  const undated: Partial<C1fAppRawRecord> = { ...broken[0] }
  delete undated.reportime
  broken.push(undated as C1fAppRawRecord, { ...broken[1], feed_label: [''] })
  return dataset
}
