// The OpenAPI description is generated from the route schemas; the committed file must be current.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { buildRelay } from '../helper.js'

t.test('openapi.yaml is what the route schemas generate (npm run openapi rewrites it)', async t => {
  const { app } = await buildRelay(t)
  const committed = readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')
  t.equal(committed, app.swagger({ yaml: true }), 'openapi.yaml is stale: run npm run openapi')
})

t.test('/documentation serves the UI and the description, without a token', async t => {
  const { app } = await buildRelay(t)
  const ui = await app.inject({ method: 'GET', url: '/documentation' })
  t.equal(ui.statusCode, 200)
  t.match(ui.headers['content-type'], /text\/html/)
  t.match(ui.body, /swagger/i)
  const css = await app.inject({ method: 'GET', url: '/documentation/static/swagger-ui.css' })
  t.equal(css.statusCode, 200)
  const json = await app.inject({ method: 'GET', url: '/documentation/json' })
  const spec = json.json()
  t.equal(spec.openapi, '3.0.3')
  for (const entity of ['sightings', 'indicators', 'judgements', 'verdicts', 'relationships']) {
    t.match(spec.info.description, new RegExp(`\\b${entity}\\b`), `the description names the ${entity} the relay answers`)
  }
  t.strictSame(Object.keys(spec.paths).sort(), [
    '/deliberate/observables', '/health', '/observe/observables', '/refer/observables',
    '/respond/observables', '/respond/trigger', '/version', '/watchdog'
  ])
  t.strictSame(spec.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
  t.strictSame(spec.paths['/observe/observables'].post.security, [{ bearerAuth: [] }])
  t.notOk(spec.paths['/version'].post.security, '/version needs no token')
  const yaml = await app.inject({ method: 'GET', url: '/documentation/yaml' })
  t.equal(yaml.statusCode, 200)
  t.equal(yaml.body, app.swagger({ yaml: true }))
})

t.test('the CTIM model and the envelope are named components, and the routes refer to them', async t => {
  const { app } = await buildRelay(t)
  const spec = (await app.inject({ method: 'GET', url: '/documentation/json' })).json()
  const names = ['EnvelopeError', 'Observable', 'ObservedRelation', 'Sighting', 'Indicator', 'Relationship',
    'Judgement', 'Verdict', 'ValidTime', 'ObserveBundle', 'ObserveBundleEnvelope', 'DeliberateBundle', 'DeliberateBundleEnvelope',
    'Health', 'HealthEnvelope', 'QuotaValues']
  t.strictSame(Object.keys(spec.components.schemas).sort(), [...names].sort(), 'no def-N and no unnamed component')
  const text = JSON.stringify(spec)
  for (const name of names) {
    t.ok(text.includes(`"$ref":"#/components/schemas/${name}"`), `${name} is referred to`)
    t.equal(spec.components.schemas[name].title, name)
  }
  t.strictSame(spec.paths['/observe/observables'].post.responses[200].content['application/json'].schema,
    { $ref: '#/components/schemas/ObserveBundleEnvelope' })
  t.strictSame(spec.paths['/deliberate/observables'].post.responses[200].content['application/json'].schema,
    { $ref: '#/components/schemas/DeliberateBundleEnvelope' })
  t.strictSame(spec.components.schemas.Sighting.properties.observables.items, { $ref: '#/components/schemas/Observable' })
  t.strictSame(spec.paths['/health'].post.responses[200].content['application/json'].schema,
    { $ref: '#/components/schemas/HealthEnvelope' }, "/health's answer, with the key's quota")
})
