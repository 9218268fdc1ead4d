// C1FAPP_SIGHTINGS (contract §3.3) end to end: `per-feed` over the simulator's data set gives one
// sighting per observable and feed, built from what `each` gives for the same records; the token's
// claim chooses the mode over the environment; the cache keeps records, so both modes share it.
import t, { type Test } from 'tap'
import { DEMO_OBSERVABLES } from '../../simulator/dataset.js'
import { conformanceProblems } from '../support/ctim-conformance.js'
import { bearer, buildRelay, observeBody, post, token, C1FAPP_KEY } from '../helper.js'
import { configurationEnv, configurationToken, signingKey, startJwksServer } from '../support/jwks.js'

interface Sighting {
  id: string
  confidence: string
  count: number
  description: string
  observables: Array<{ type: string, value: string }>
  observed_time: { start_time: string, end_time: string }
  relations: unknown[]
  source_uri?: string
}

const CONFIDENCE_ORDER = ['Unknown', 'Low', 'Medium', 'High']

/** `each`'s sightings of one observable and feed, in the answer's order (newest first). */
function sightingsBy (body: any): Map<string, Sighting[]> {
  const byFeed = new Map<string, Sighting[]>()
  const feedOf = new Map<string, string>(body.data.relationships.docs
    .filter((r: any) => r.relationship_type === 'member-of')
    .map((r: any) => [r.source_ref, body.data.indicators.docs.find((i: any) => i.id === r.target_ref).short_description]))
  for (const sighting of body.data.sightings.docs as Sighting[]) {
    const key = `${JSON.stringify(sighting.observables[0])} ${feedOf.get(sighting.id) as string}`
    byFeed.set(key, [...(byFeed.get(key) ?? []), sighting])
  }
  return byFeed
}

/** What §3.3 makes of one feed's `each` sightings (newest first): the per-feed sighting, without its id. */
function perFeedOf (sightings: Sighting[], feed: string): Omit<Sighting, 'id'> {
  const relations = new Map<string, unknown>()
  for (const sighting of sightings) for (const relation of sighting.relations) relations.set(JSON.stringify(relation), relation)
  const count = sightings.length
  const { id: _id, source_uri: sourceUri, ...newest } = sightings[0]
  return {
    ...newest,
    confidence: sightings.map(s => s.confidence).sort((a, b) => CONFIDENCE_ORDER.indexOf(b) - CONFIDENCE_ORDER.indexOf(a))[0],
    count,
    description: count === 1 ? `Seen on C1fApp feed ${feed}` : `Seen ${count} times on C1fApp feed ${feed}`,
    observed_time: {
      start_time: sightings[count - 1].observed_time.start_time,
      end_time: sightings[0].observed_time.start_time.replace('T00:00:00.000Z', 'T23:59:59.999Z')
    },
    relations: [...relations.values()],
    ...(sourceUri === undefined ? {} : { source_uri: sourceUri })
  }
}

/** The entities other than sightings and their member-of relationships, without what differs in every answer. */
function beyondSightings (body: any): unknown {
  const { sightings: _s, relationships, judgements, verdicts, ...rest } = body.data
  return {
    ...rest,
    judgements: judgements.docs.map(({ id: _id, valid_time: _t, ...judgement }: any) => judgement),
    verdicts: verdicts.docs.map(({ judgement_id: _id, valid_time: _t, ...verdict }: any) => verdict),
    elementOf: relationships.docs.filter((r: any) => r.relationship_type === 'element-of').map((r: any) => r.target_ref)
  }
}

function sorted (relations: unknown[]): string[] {
  return relations.map(relation => JSON.stringify(relation)).sort()
}

function checkPerFeed (t: Test, each: any, perFeed: any): void {
  const expected = sightingsBy(each)
  t.ok([...expected.values()].some(list => list.length > 1), 'the data set has feeds of several records')
  const found = sightingsBy(perFeed)
  t.strictSame([...found.keys()], [...expected.keys()], 'one sighting per observable and feed, in the order of their newest records')
  for (const [key, [sighting, ...more]] of found) {
    t.equal(more.length, 0, `${key}: one sighting`)
    const feed = key.slice(key.indexOf('} ') + 2)
    const { relations, ...fields } = perFeedOf(expected.get(key) as Sighting[], feed)
    const { id, relations: foundRelations, ...foundFields } = sighting
    t.match(id, /^transient:sighting-/)
    t.strictSame(foundFields, fields, `${key}: count, times, confidence, source_uri, description`)
    t.strictSame(sorted(foundRelations), sorted(relations), `${key}: the union of the records' relations`)
    t.equal(new Set(sorted(foundRelations)).size, foundRelations.length, `${key}: no relation twice`)
  }
  const memberOf = perFeed.data.relationships.docs.filter((r: any) => r.relationship_type === 'member-of')
  t.strictSame(memberOf.map((r: any) => r.source_ref), perFeed.data.sightings.docs.map((s: Sighting) => s.id), 'a member-of relationship per sighting')
  t.strictSame(beyondSightings(perFeed), beyondSightings(each), 'the same indicators, judgements, verdicts and element-of relationships as each')
  t.strictSame(conformanceProblems(perFeed), [], "Threat Response's schema")
}

t.test('per-feed over the data set: a sighting per observable and feed, made of what each gives', async t => {
  const { app } = await buildRelay(t)
  const each = observeBody(t, await post(app, '/observe/observables', DEMO_OBSERVABLES), 'observe-each-demo-observables')
  const perFeed = observeBody(t, await post(app, '/observe/observables', DEMO_OBSERVABLES, bearer(token({ key: C1FAPP_KEY, C1FAPP_SIGHTINGS: 'per-feed' }))), 'observe-per-feed-demo-observables')
  for (const [key, sightings] of sightingsBy(each)) {
    const feed = key.slice(key.indexOf('} ') + 2)
    t.ok(sightings.every(s => s.count === 1 && s.description === `Seen on C1fApp feed ${feed}`), `each: ${key}: one record a sighting, the feed named`)
  }
  checkPerFeed(t, each, perFeed)
  t.ok(perFeed.data.sightings.count < each.data.sightings.count)
})

t.test('per-feed within CTR_ENTITIES_LIMIT: the feeds of the newest records only', async t => {
  const { app } = await buildRelay(t, { CTR_ENTITIES_LIMIT: '5', C1FAPP_SIGHTINGS: 'per-feed' })
  const each = observeBody(t, await post(app, '/observe/observables', DEMO_OBSERVABLES, bearer(token({ key: C1FAPP_KEY, C1FAPP_SIGHTINGS: 'each' }))), 'observe-each-limit')
  const perFeed = observeBody(t, await post(app, '/observe/observables', DEMO_OBSERVABLES), 'observe-per-feed-limit')
  t.equal(each.data.sightings.count, 5 * DEMO_OBSERVABLES.length)
  t.equal(perFeed.data.sightings.docs.reduce((sum: number, s: Sighting) => sum + s.count, 0), 5 * DEMO_OBSERVABLES.length, 'the five newest records of each observable')
  checkPerFeed(t, each, perFeed)
})

t.test("the token's claim chooses over the environment; an unusable claim is ignored", async t => {
  const modeOf = (body: any): string => body.data.sightings.docs.some((s: Sighting) => s.count > 1) ? 'per-feed' : 'each'
  const observable = [DEMO_OBSERVABLES[0]]
  for (const environment of ['each', 'per-feed']) {
    t.test(`C1FAPP_SIGHTINGS=${environment}, HS256`, async t => {
      const { app } = await buildRelay(t, { C1FAPP_SIGHTINGS: environment })
      const asked = async (claims: Record<string, unknown>) => modeOf((await post(app, '/observe/observables', observable, bearer(token({ key: C1FAPP_KEY, ...claims })))).json())
      t.equal(await asked({}), environment, 'no claim: the environment')
      t.equal(await asked({ C1FAPP_SIGHTINGS: 'each' }), 'each')
      t.equal(await asked({ C1FAPP_SIGHTINGS: 'per-feed' }), 'per-feed')
      for (const unusable of ['PER-FEED', 'per feed', '', 1, true, null, ['per-feed']]) {
        t.equal(await asked({ C1FAPP_SIGHTINGS: unusable }), environment, `${JSON.stringify(unusable)}: the environment`)
      }
    })
  }
  t.test('RS256, the configuration token', async t => {
    const key = signingKey('tr')
    const jwks = await startJwksServer([key])
    t.teardown(() => jwks.close())
    const { app } = await buildRelay(t, configurationEnv(jwks, { SECRET_KEY: undefined, C1FAPP_SIGHTINGS: 'each' }))
    const asked = async (claims: Record<string, unknown>) => modeOf((await post(app, '/observe/observables', observable, bearer(configurationToken(key, jwks.host, claims)))).json())
    t.equal(await asked({}), 'each')
    t.equal(await asked({ C1FAPP_SIGHTINGS: 'per-feed' }), 'per-feed')
    t.equal(await asked({ C1FAPP_SIGHTINGS: 'sometimes' }), 'each')
  })
})

t.test('one cached C1fApp answer serves both modes: the records are cached, not the mapping', async t => {
  const { app, simulator } = await buildRelay(t, { CACHE_TTL_S: '600' })
  const perFeedToken = bearer(token({ key: C1FAPP_KEY, C1FAPP_SIGHTINGS: 'per-feed' }))
  const each = (await post(app, '/observe/observables', DEMO_OBSERVABLES)).json()
  const perFeed = (await post(app, '/observe/observables', DEMO_OBSERVABLES, perFeedToken)).json()
  const eachAgain = (await post(app, '/observe/observables', DEMO_OBSERVABLES)).json()
  const perFeedAgain = (await post(app, '/observe/observables', DEMO_OBSERVABLES, perFeedToken)).json()
  t.equal(simulator.requests.length, DEMO_OBSERVABLES.length, 'one C1fApp request per observable for the four calls')
  checkPerFeed(t, each, perFeed)
  t.strictSame(eachAgain.data.sightings, each.data.sightings, 'each from the cache: the same sightings')
  t.strictSame(perFeedAgain.data.sightings, perFeed.data.sightings, 'per-feed from the cache: the same sightings')
  const deliberate = (await post(app, '/deliberate/observables', DEMO_OBSERVABLES, perFeedToken)).json()
  t.strictSame(deliberate.data.verdicts.docs.map(({ valid_time: _t, ...v }: any) => v), each.data.verdicts.docs.map(({ valid_time: _t, judgement_id: _id, ...v }: any) => v), 'deliberate: the same verdicts')
  t.equal(simulator.requests.length, DEMO_OBSERVABLES.length, 'still no other request')
})

t.test('ANSWER_MAX_BYTES holds with per-feed too', async t => {
  const { app, simulator } = await buildRelay(t, { C1FAPP_SIGHTINGS: 'per-feed', ANSWER_MAX_BYTES: '10000' })
  // many feeds of an observable, each record with many relations: past 10 000 bytes even a sighting per feed
  simulator.script('*', {
    body: Array.from({ length: 30 }, (_, i) => ({
      feed_label: [`Feed ${i % 10}`],
      reportime: [`2026-10-${String(30 - i).padStart(2, '0')}`],
      confidence: [90],
      assessment: ['phishing'],
      domain: ['big.example'],
      ip_address: Array.from({ length: 5 }, (_, j) => `192.0.2.${i * 5 + j}`)
    }))
  })
  const response = await post(app, '/observe/observables', [{ type: 'domain', value: 'big.example' }])
  t.ok(response.rawPayload.length <= 10000, `${response.rawPayload.length} bytes`)
  const body = observeBody(t, response, 'observe-per-feed-cut')
  const kept = body.data.sightings.docs.reduce((sum: number, s: Sighting) => sum + s.count, 0)
  t.ok(kept < 30, `${kept} of the 30 records kept`)
  t.strictSame(body.errors, [{
    type: 'warning',
    code: 'too many entities',
    message: `The answer would be larger than 10000 bytes (ANSWER_MAX_BYTES, a setting of the module's owner): only the newest ${kept} ` +
      'C1fApp records of each observable are kept (as a sighting per feed), with their indicators, judgements, verdicts and relationships.'
  }])
  t.ok(body.data.sightings.count >= 1)
  t.strictSame(conformanceProblems(body), [])
})
