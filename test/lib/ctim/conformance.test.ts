// Whatever C1fApp sends, every observe and deliberate answer passes Threat Response's published
// schema and the CTIM rules it leaves out (contract §3): a property over random C1fApp answers,
// long and odd strings included, through the relay's routes, checked in-process with ajv.
import t from 'tap'
import fc from 'fast-check'
import { conformanceProblems } from '../../support/ctim-conformance.js'
import { fuzzParameters, hostileString } from '../../fuzz/fuzz.js'
import { buildRelay, post, saveAnswer } from '../../helper.js'

const OBSERVABLES = [
  { type: 'domain', value: 'phish.example' },
  { type: 'ip', value: '192.0.2.10' },
  { type: 'url', value: 'https://phish.example/login' }
]

/** Text of 200 to 3 000 UTF-16 units: past every bound of the schema, odd characters included. */
const long = fc.tuple(hostileString({ minLength: 1, maxLength: 6 }), fc.integer({ min: 200, max: 3000 }))
  .map(([piece, length]) => piece.repeat(Math.ceil(length / piece.length)).slice(0, length))
const text = (...usual: string[]) => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...usual) }, { weight: 2, arbitrary: long }, { weight: 2, arbitrary: hostileString({ maxLength: 12 }) })
const longUrl = fc.tuple(fc.constantFrom('http', 'https'), fc.integer({ min: 1900, max: 2200 }), hostileString({ maxLength: 4 }))
  .map(([scheme, length, odd]) => `${scheme}://feed.example/${odd}${'p'.repeat(length)}`)
const date = fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map(d => d.toISOString().slice(0, 10))

const record = fc.record({
  feed_label: fc.array(text('Phishtank', 'OpenPhish', 'Spamhaus', 'Alexa'), { minLength: 1, maxLength: 2 }),
  reportime: fc.oneof({ weight: 9, arbitrary: date.map(d => [d]) }, { weight: 1, arbitrary: hostileString({ maxLength: 10 }).map(d => [d]) }),
  confidence: fc.oneof(fc.integer({ min: -5, max: 120 }), fc.constantFrom('95', '70', '10', 'n/a', ''), long).map(c => [c]),
  assessment: fc.array(text('phishing', 'malware', 'botnet', 'Spam', 'scanner', 'whitelist', 'c2', 'fastflux', 'exploit'), { maxLength: 3 }),
  source: fc.oneof(longUrl, fc.webUrl(), long, fc.tuple(longUrl, fc.webUrl()).map(urls => urls.join(','))).map(source => [source]),
  domain: fc.array(text('phish.example', 'PHISH.example', ''), { maxLength: 3 }),
  ip_address: fc.array(fc.oneof(fc.ipV4(), long, fc.constant('')), { maxLength: 3 }),
  address: fc.oneof(longUrl, fc.webUrl(), long, fc.constant('https://phish.example/login')).map(address => [address])
}, { requiredKeys: ['feed_label', 'reportime'] })

t.test('any C1fApp answer: observe and deliberate answers conform to Threat Response\'s schema', async t => {
  const { app, simulator } = await buildRelay(t, { CACHE_TTL_S: '600', CTR_ENTITIES_LIMIT: '12' })
  let saved = 0
  let judged = 0
  await fc.assert(fc.asyncProperty(fc.array(fc.array(record, { maxLength: 8 }), { minLength: 3, maxLength: 3 }), async answers => {
    // a fresh value each run: the cache must not answer from an earlier run
    const asked = OBSERVABLES.map(({ type, value }) => ({ type, value: `${value}${type === 'url' ? '?' : '.'}${simulator.requests.length}` }))
    for (const [i, { value }] of asked.entries()) simulator.script(value, { body: answers[i] })
    for (const route of ['observe', 'deliberate'] as const) {
      const body = (await post(app, `/${route}/observables`, asked)).json()
      const problems = conformanceProblems(body)
      if (problems.length > 0) throw new Error(`${route}: ${problems.slice(0, 5).join('; ')} in ${JSON.stringify(body).slice(0, 2000)}`)
      if (body.data?.verdicts !== undefined) {
        judged++
        if (saved < 6) saveAnswer(route, `fuzz-long-strings-${++saved}`, body)
      }
    }
  }), fuzzParameters(60))
  t.ok(judged > 20, `${judged} answers held verdicts`)
  t.equal(saved, 6, 'answers saved for the conformance check')
})
