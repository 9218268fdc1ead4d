// POST /observe/observables end to end: Threat Response's side through inject, C1fApp's through
// the simulator on a real socket (contract §1.1, §2, §3).
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { indicatorId } from '../../lib/ctim/bundle.js'
import { CTIM_SCHEMA_VERSION } from '../../lib/ctim/vocabulary.js'
import { buildDataset, DEMO_OBSERVABLES } from '../../simulator/dataset.js'
import { API_PATH } from '../../simulator/server.js'
import { buildRelay, C1FAPP_KEY, observeBody, post } from '../helper.js'
import { phishRecord } from '../support/records.js'

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'

async function waitFor (condition: () => boolean, ms = 3000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(10)) if (condition()) return true
  return condition()
}

t.test('C1fApp is asked exactly as the contract says, once per observable', async t => {
  const { app, simulator } = await buildRelay(t)
  await post(app, '/observe/observables', [{ type: 'domain', value: 'phish.example' }])
  t.equal(simulator.requests.length, 1)
  const [request] = simulator.requests
  t.equal(request.method, 'POST')
  t.equal(request.url, API_PATH)
  t.match(request.headers['content-type'], /^application\/json/)
  t.strictSame(JSON.parse(request.body), { key: C1FAPP_KEY, format: 'json', backend: 'es', request: 'phish.example' })
})

t.test('a scripted answer maps to the exact CTIM answer', async t => {
  const { app, simulator } = await buildRelay(t)
  simulator.script('phish.example', { body: [phishRecord()] })
  const before = Date.now()
  const body = observeBody(t, await post(app, '/observe/observables', [{ type: 'domain', value: 'phish.example' }]), 'observe-one-record')
  const after = Date.now()
  const sighting = body.data.sightings.docs[0]
  const judgement = body.data.judgements.docs[0]
  const [relationship, element] = body.data.relationships.docs
  const validTime = judgement.valid_time
  const start = Date.parse(validTime.start_time)
  t.ok(start >= before && start <= after, 'valid from the time of the call')
  t.equal(Date.parse(validTime.end_time) - start, 7 * 24 * 3600 * 1000, 'for JUDGEMENT_VALID_DAYS, 7 by default')
  t.match(sighting.id, new RegExp(`^transient:sighting-${UUID}$`))
  t.match(relationship.id, new RegExp(`^transient:relationship-${UUID}$`))
  const observable = { type: 'domain', value: 'phish.example' }
  t.strictSame(body, {
    data: {
      sightings: {
        count: 1,
        docs: [{
          id: sighting.id,
          type: 'sighting',
          schema_version: CTIM_SCHEMA_VERSION,
          source: 'C1fApp',
          source_uri: 'http://www.phishtank.com/phish_detail.php?phish_id=1',
          confidence: 'Medium',
          count: 1,
          description: 'Seen on C1fApp feed Phishtank',
          observables: [observable],
          observed_time: { start_time: '2026-10-01T00:00:00.000Z', end_time: '2026-10-01T00:00:00.000Z' },
          relations: [
            { origin: 'C1fApp Enrichment Module', relation: 'Contains', source: { type: 'url', value: 'https://phish.example/login' }, related: observable },
            { origin: 'C1fApp Enrichment Module', relation: 'Resolved_To', source: observable, related: { type: 'ip', value: '192.0.2.10' } }
          ]
        }]
      },
      indicators: {
        count: 1,
        docs: [{
          id: indicatorId('Phishtank'),
          type: 'indicator',
          schema_version: CTIM_SCHEMA_VERSION,
          producer: 'C1fApp',
          title: 'Feed: Phishtank',
          short_description: 'Phishtank',
          tags: ['phishing'],
          confidence: 'Medium',
          tlp: 'white',
          valid_time: {}
        }]
      },
      judgements: {
        count: 1,
        docs: [{
          id: judgement.id,
          type: 'judgement',
          schema_version: CTIM_SCHEMA_VERSION,
          observable,
          disposition: 3,
          disposition_name: 'Suspicious',
          severity: 'Medium',
          confidence: 'Medium',
          priority: 85,
          source: 'C1fApp',
          source_uri: 'http://www.phishtank.com/phish_detail.php?phish_id=1',
          tlp: 'white',
          reason: 'phishing in feed Phishtank (last reported 2026-10-01)',
          valid_time: validTime
        }]
      },
      verdicts: {
        count: 1,
        docs: [{ type: 'verdict', observable, disposition: 3, disposition_name: 'Suspicious', valid_time: validTime, judgement_id: judgement.id }]
      },
      relationships: {
        count: 2,
        docs: [{
          id: relationship.id,
          type: 'relationship',
          schema_version: CTIM_SCHEMA_VERSION,
          relationship_type: 'member-of',
          source_ref: sighting.id,
          target_ref: indicatorId('Phishtank')
        }, {
          id: element.id,
          type: 'relationship',
          schema_version: CTIM_SCHEMA_VERSION,
          relationship_type: 'element-of',
          source_ref: judgement.id,
          target_ref: indicatorId('Phishtank')
        }]
      }
    }
  })
})

t.test('the indicator of a feed has the same id in every answer', async t => {
  const { app, simulator } = await buildRelay(t)
  simulator.script('*', { body: [phishRecord()] })
  const first = (await post(app, '/observe/observables', [{ type: 'domain', value: 'a.example' }])).json()
  const second = (await post(app, '/observe/observables', [{ type: 'domain', value: 'b.example' }])).json()
  t.equal(first.data.indicators.docs[0].id, second.data.indicators.docs[0].id)
  t.not(first.data.sightings.docs[0].id, second.data.sightings.docs[0].id, 'sightings are new each time')
})

t.test('the bundled data set: every demo observable answers conformant CTIM', async t => {
  const { app } = await buildRelay(t)
  const dataset = buildDataset()
  const body = observeBody(t, await post(app, '/observe/observables', DEMO_OBSERVABLES), 'observe-demo-observables')
  t.notOk('errors' in body)
  const expected = DEMO_OBSERVABLES.reduce((sum, { value }) => sum + Math.min(dataset.get(value.toLowerCase())!.length, 100), 0)
  t.equal(body.data.sightings.count, expected, 'one sighting per record, at most 100 per observable')
  t.equal(body.data.relationships.count, expected + body.data.judgements.count, 'a member-of per sighting, an element-of per judgement')
  const feeds = new Set(body.data.indicators.docs.map((i: { short_description: string }) => i.short_description))
  t.equal(feeds.size, body.data.indicators.count, 'one indicator per feed')
  for (const { value } of DEMO_OBSERVABLES) {
    const times = body.data.sightings.docs
      .filter((s: { observables: Array<{ value: string }> }) => s.observables[0].value === value)
      .map((s: { observed_time: { start_time: string } }) => s.observed_time.start_time)
    t.strictSame(times, [...times].sort().reverse(), `${value}: newest first`)
  }
})

t.test('CTR_ENTITIES_LIMIT caps the entities of each type per observable', async t => {
  const { app, simulator } = await buildRelay(t, { CTR_ENTITIES_LIMIT: '2' })
  simulator.script('*', { body: [1, 2, 3, 4, 5].map(day => phishRecord({ reportime: [`2026-10-0${day}`], feed_label: [`Feed ${day}`] })) })
  const body = observeBody(t, await post(app, '/observe/observables', [{ type: 'domain', value: 'a.example' }, { type: 'ip', value: '192.0.2.1' }]), 'observe-limit')
  t.equal(body.data.sightings.count, 4)
  t.strictSame(body.data.indicators.docs.map((i: { title: string }) => i.title), ['Feed: Feed 5', 'Feed: Feed 4'])
  t.equal(body.data.judgements.count, 4, 'a judgement per kept feed of each observable')
  t.equal(body.data.verdicts.count, 2)
  t.equal(body.data.relationships.count, 8, 'a member-of per sighting, an element-of per judgement')
})

t.test('unsupported types are skipped without a query; (type, value) pairs once; a value once', async t => {
  const { app, simulator } = await buildRelay(t)
  simulator.script('*', { body: [phishRecord()] })
  const body = observeBody(t, await post(app, '/observe/observables', [
    { type: 'sha256', value: 'a'.repeat(64) },
    { type: 'domain', value: 'phish.example' },
    { type: 'domain', value: 'phish.example' },
    { type: 'email', value: 'x@phish.example' },
    { type: 'url', value: 'https://phish.example/login' },
    { type: 'Domain', value: 'upper.example' },
    { type: 'ip', value: 'phish.example' }
  ]), 'observe-mixed-types')
  t.strictSame(simulator.requests.map(r => JSON.parse(r.body).request), ['phish.example', 'https://phish.example/login'])
  t.strictSame(body.data.sightings.docs.map((s: { observables: unknown[] }) => s.observables[0]), [
    { type: 'domain', value: 'phish.example' },
    { type: 'url', value: 'https://phish.example/login' },
    { type: 'ip', value: 'phish.example' }
  ])
})

t.test('nothing to look up, or nothing found: {"data": {}}', async t => {
  const { app, simulator } = await buildRelay(t)
  t.strictSame((await post(app, '/observe/observables', [])).json(), { data: {} })
  t.strictSame((await post(app, '/observe/observables', [{ type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e' }])).json(), { data: {} })
  t.equal(simulator.requests.length, 0)
  t.strictSame(observeBody(t, await post(app, '/observe/observables', [{ type: 'domain', value: 'never-seen.example' }]), 'observe-nothing-found'), { data: {} })
})

t.test('observables are queried concurrently, at most C1FAPP_CONCURRENCY at once', async t => {
  const observables = [1, 2, 3, 4, 5].map(n => ({ type: 'domain', value: `host${n}.example` }))
  t.test('all at once', async t => {
    const { app, simulator } = await buildRelay(t)
    let release!: () => void
    simulator.script('*', { heldUntil: new Promise<void>(resolve => { release = resolve }), body: [] })
    const answer = post(app, '/observe/observables', observables)
    t.ok(await waitFor(() => simulator.requests.length === 5), 'five requests in flight, none answered')
    release()
    t.strictSame((await answer).json(), { data: {} })
  })
  t.test('two at a time', async t => {
    const { app, simulator } = await buildRelay(t, { C1FAPP_CONCURRENCY: '2' })
    let release!: () => void
    simulator.script('*', { heldUntil: new Promise<void>(resolve => { release = resolve }), body: [] })
    const answer = post(app, '/observe/observables', observables)
    t.ok(await waitFor(() => simulator.requests.length === 2), 'two requests in flight')
    await sleep(300)
    t.equal(simulator.requests.length, 2, 'no third before one of them is answered')
    release()
    t.strictSame((await answer).json(), { data: {} })
    t.equal(simulator.requests.length, 5)
  })
})
