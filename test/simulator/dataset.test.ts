// simulator/dataset.ts: the bundled synthetic C1fApp data set, deterministic for a date, in the
// shape and with the quirks of C1fApp's real answers (contract §2.1).
import t from 'tap'
import { buildDataset, DEMO_OBSERVABLES, type C1fAppRawRecord } from '../../simulator/dataset.js'

const TODAY = new Date('2025-03-15T12:34:56Z')
const DAY = 24 * 60 * 60 * 1000

t.test('the data set', async t => {
  const dataset = buildDataset(TODAY)
  const records = [...dataset.values()].flat()

  t.test('is deterministic for a date, whatever the hour', async t => {
    t.same(buildDataset(new Date('2025-03-15T00:00:00Z')), dataset)
    t.same(buildDataset(new Date('2025-03-15T23:59:59Z')), dataset)
    t.notSame(buildDataset(new Date('2025-03-16T12:00:00Z')), dataset)
  })

  t.test('defaults to today', async t => {
    const latest = [...buildDataset().values()].flat()
      .map(record => record.reportime?.[0]).filter(date => date !== undefined).sort().at(-1) as string
    t.ok(Date.now() - Date.parse(latest) < 90 * DAY)
  })

  t.test('has a few hundred records over about sixteen lowercased values', async t => {
    t.ok(records.length >= 250 && records.length <= 350, `${records.length} records`)
    t.equal(dataset.size, 16)
    for (const key of dataset.keys()) t.equal(key, key.toLowerCase())
  })

  t.test('reports every record within the 90 days before the date', async t => {
    const today = Date.UTC(2025, 2, 15)
    for (const record of records) {
      if (record.reportime === undefined) continue
      t.match(record.reportime[0], /^\d{4}-\d{2}-\d{2}$/)
      const age = today - Date.parse(record.reportime[0])
      if (age < 0 || age >= 90 * DAY) t.fail(`${record.reportime[0]} out of range`)
    }
  })

  t.test('has records in the shape of contract §2.1', async t => {
    const good = records.filter(record => record.reportime !== undefined && record.feed_label[0] !== '')
    for (const record of good) {
      for (const [field, value] of Object.entries(record)) {
        if (field === 'derived') t.equal(value, 'direct')
        else if (!Array.isArray(value) || value.length === 0) t.fail(`${field} is not a list`)
      }
    }
    t.equal(good.length, records.length - 2)
  })

  t.test('has the quirks of the real thing', async t => {
    const confidences = records.map(record => record.confidence[0])
    t.ok(confidences.some(c => typeof c === 'number'), 'confidence as a number')
    t.ok(confidences.some(c => typeof c === 'string' && /^\d+$/.test(c)), 'confidence as a numeric string')
    t.ok(records.some(record => record.domain.includes('')), 'an empty domain')
    t.ok(records.some(record => record.ip_address.includes('')), 'an empty ip_address')
    t.ok(records.some(record => record.source[0].split(',').length > 1), 'several sources in one')
    t.ok(records.some(record => record.asn[0] === '-' && record.asn_desc[0] === '-'), 'unknown asn')
    t.ok(records.some(record => record.asn[0] !== '-'), 'known asn')
    const assessments = new Set(records.map(record => record.assessment[0]))
    t.same([...assessments].sort(), ['Spam', 'botnet', 'malware', 'phishing', 'scanner', 'whitelist'])
    const feeds = new Set(records.map(record => record.feed_label[0]).filter(label => label !== ''))
    t.ok(feeds.size >= 6, `${feeds.size} feeds`)
    t.ok(feeds.has('Alexa Top Sites'))
  })

  t.test('has related fields that make sense', async t => {
    for (const { type, value } of DEMO_OBSERVABLES) t.ok(dataset.has(value), `${type} ${value}`)
    for (const [value, list] of dataset) {
      for (const record of list) {
        if (/^\d+\.\d+\.\d+\.\d+$/.test(value)) {
          t.same(record.ip_address, [value])
          t.ok(record.domain.every(domain => domain === '' || /^[a-z0-9.-]+\.[a-z]+$/.test(domain)))
        } else if (value.startsWith('http')) {
          t.equal(record.address[0], value)
          const host = new URL(value).hostname
          if (/^[\d.]+$/.test(host)) t.same(record.domain, [''])
          else {
            t.equal(record.domain[0], host)
            for (const parent of record.domain.slice(1)) t.ok(host.endsWith(`.${parent}`) && parent.includes('.'))
          }
        } else {
          t.equal(record.domain[0], value)
          t.equal(new URL(record.address[0]).hostname, value)
        }
        for (const ip of record.ip_address) t.match(ip, /^$|^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+$/)
      }
    }
  })

  t.test('has an answer with two unusable records among five good ones', async t => {
    const list = dataset.get('broken-records.example') as C1fAppRawRecord[]
    t.equal(list.length, 7)
    t.equal(list.filter(record => record.reportime === undefined).length, 1)
    t.equal(list.filter(record => record.feed_label[0] === '').length, 1)
  })
})
