// module_type.json, the module type of the hosted (configuration token) scheme, agrees with the
// relay: the routes it lists are the routes registered, its claims are the claims the relay reads.
import t from 'tap'
import { SETTING_CLAIMS } from '../../lib/authorization.js'
import { DEFAULT_JWKS_HOSTS } from '../../lib/config.js'
import { DEFAULT_ENTITIES_LIMIT, MAX_ENTITIES_LIMIT } from '../../lib/entities-limit.js'
import { DEFAULT_SIGHTINGS, SIGHTINGS_MODES } from '../../lib/sightings-mode.js'
import moduleType from '../../module_type.json' with { type: 'json' }
import { bearer, buildApp, buildRelay, C1FAPP_KEY, observeBody, post, healthOk } from '../helper.js'
import { configurationToken, signingKey, startJwksServer } from '../support/jwks.js'

/** Threat Response calls every route that takes its token; /version and /watchdog serve operations. */
const OPERATIONS_ROUTES = ['GET /watchdog', 'POST /version']
/**
 * Routes that take the token but do nothing for C1fApp: left out of supported-apis, still answered
 * for modules created from an older module type that listed them.
 */
const STUB_ROUTES = ['refer/observables', 'respond/observables', 'respond/trigger']

t.test('supported-apis lists exactly the routes that take the token and do something; every other route is a stub or an operations route', async t => {
  const server = await buildApp(t)
  // Every route the relay documents, and which of them refuse a call without a token.
  const paths = server.swagger().paths as Record<string, Record<string, unknown>>
  const own = Object.entries(paths).flatMap(([url, methods]) => Object.keys(methods).map(method => ({ method: method.toUpperCase(), url })))
  const authenticated: typeof own = []
  for (const route of own) {
    const response = await server.inject({ method: route.method as 'GET' | 'POST', url: route.url, headers: { 'content-type': 'application/json' }, payload: route.method === 'POST' ? '[]' : undefined })
    if (response.json().errors?.[0]?.code === 'authorization error') authenticated.push(route)
  }
  const working = authenticated.map(route => route.url.slice(1)).filter(url => !STUB_ROUTES.includes(url))
  t.strictSame(working.sort(), [...moduleType.properties['supported-apis']].sort())
  t.strictSame(moduleType.properties['supported-apis'], ['health', 'observe/observables', 'deliberate/observables'])
  t.strictSame(moduleType.capabilities.map(({ id }) => id), ['health', 'observe', 'deliberate'], 'a capability per working route')
  t.strictSame(authenticated.map(route => route.url.slice(1)).filter(url => STUB_ROUTES.includes(url)).sort(), STUB_ROUTES, 'the stubs still answer')
  t.strictSame(own.filter(route => !authenticated.includes(route)).map(route => `${String(route.method)} ${route.url}`).sort(), OPERATIONS_ROUTES)
  for (const route of authenticated) t.equal(route.method, 'POST', route.url)
})

interface Field { key: string, type: string, label: string, tooltip: string, group: string, required: boolean, default_value?: unknown, options?: Array<{ value: string, label: string }> }
const spec = moduleType.configuration_spec as Field[]
const field = (claim: string): Field => spec.find(({ key }) => key === `custom_${claim}`) as Field

t.test('the hosted scheme: configuration token, RS256, a region the relay allows', async t => {
  const { properties } = moduleType
  t.equal(properties['auth-type'], 'configuration-token')
  t.equal(properties['configuration-token-alg'], 'RS256')
  t.ok(DEFAULT_JWKS_HOSTS.split(',').includes(properties.custom_jwks_host), 'custom_jwks_host is on the default allow-list')
  t.match(properties.url, /^https:\/\/[^/]+$/)
})

t.test('every custom_ field of the form is a claim the relay honours, and every claim it honours is in the form', async t => {
  t.strictSame(spec.map(({ key }) => key.replace(/^custom_/, '')).sort(), [...SETTING_CLAIMS].sort())
  t.ok(spec.every(({ key }) => key.startsWith('custom_')), 'Threat Response puts custom_ fields into the token')
  t.strictSame(spec.map(({ key, type, required }) => ({ key, type, required })), [
    { key: 'custom_key', type: 'api_key', required: true },
    { key: 'custom_CTR_ENTITIES_LIMIT', type: 'integer', required: false },
    { key: 'custom_C1FAPP_SIGHTINGS', type: 'select', required: false },
    { key: 'custom_C1FAPP_DAILY_LIMIT', type: 'integer', required: false }
  ])
  for (const { key, label, tooltip, group } of spec) t.ok(label !== '' && tooltip !== '' && group !== '', `${key}: a label, a tooltip and a group`)
})

t.test('each optional setting: its default and range as the relay reads them, and said in its tooltip', async t => {
  const limit = field('CTR_ENTITIES_LIMIT')
  t.equal(limit.default_value, DEFAULT_ENTITIES_LIMIT)
  t.match(limit.tooltip, `(1 to ${MAX_ENTITIES_LIMIT}; ${DEFAULT_ENTITIES_LIMIT} when left empty)`)
  const sightings = field('C1FAPP_SIGHTINGS')
  t.strictSame(sightings.options?.map(({ value }) => value), [...SIGHTINGS_MODES], 'a choice of the modes the relay knows')
  t.ok(sightings.options?.every(({ label }) => label !== ''))
  t.equal(sightings.default_value, DEFAULT_SIGHTINGS)
  for (const mode of SIGHTINGS_MODES) t.match(sightings.tooltip, `${mode}:`, `the tooltip says what ${mode} does`)
  t.match(sightings.tooltip, `${DEFAULT_SIGHTINGS} when left empty`)
  const daily = field('C1FAPP_DAILY_LIMIT')
  t.notOk('default_value' in daily, 'no default: counted, not enforced')
  t.match(daily.tooltip, '(1 to 10 000 000; when left empty, requests are counted')
})

t.test("the module type as today's Cisco XDR reads it: a threat-intel product, where to get a key, no logo", async t => {
  t.strictSame(moduleType.product_categories, ['threat-intel'])
  t.ok(moduleType.external_references.length >= 2)
  for (const { label, link } of moduleType.external_references) t.ok(label !== '' && /^https:\/\//.test(link), label)
  t.equal(moduleType.disable_automatic_health_check, false, 'health checks cost at most one C1fApp request (contract §6)')
  t.notOk('logo' in moduleType, "C1fApp's logo is not ours to ship")
})

t.test('a token as Threat Response makes it from this module type is accepted, its settings honoured', async t => {
  // Threat Response puts each custom_ setting into the token without its prefix, and the module's URL in aud.
  const key = signingKey('tr-key')
  const jwks = await startJwksServer([key])
  t.teardown(() => jwks.close())
  const settings: Record<string, unknown> = { custom_key: C1FAPP_KEY, custom_CTR_ENTITIES_LIMIT: 2, custom_C1FAPP_SIGHTINGS: 'per-feed', custom_jwks_host: jwks.host }
  const claims = Object.fromEntries(Object.entries(settings).map(([name, value]) => [name.replace(/^custom_/, ''), value]))
  const { app, simulator } = await buildRelay(t, {
    SECRET_KEY: undefined, RELAY_PUBLIC_URL: moduleType.properties.url, JWKS_HOSTS: jwks.host, JWKS_ALLOW_HTTP: '1'
  })
  const jwt = configurationToken(key, jwks.host, { ...claims, aud: moduleType.properties.url })
  t.strictSame((await post(app, '/health', undefined, bearer(jwt))).json(), healthOk(1))
  simulator.script('*', { body: [1, 2, 3, 4].map(day => ({ feed_label: [day === 1 ? 'OpenPhish' : 'Phishtank'], reportime: [`2026-10-0${day}`] })) })
  const body = observeBody(t, await post(app, '/observe/observables', [{ type: 'domain', value: 'phish.example' }], bearer(jwt)), 'observe-module-type-token')
  t.strictSame(body.data.sightings.docs.map(({ count, description }: { count: number, description: string }) => ({ count, description })),
    [{ count: 2, description: 'Seen 2 times on C1fApp feed Phishtank' }], 'custom_CTR_ENTITIES_LIMIT: the two newest records; custom_C1FAPP_SIGHTINGS: one sighting for their feed')
})
