// module_type.json, the module type of the hosted (configuration token) scheme, agrees with the
// relay: the routes it lists are the routes registered, its claims are the claims the relay reads.
import t from 'tap'
import { DEFAULT_JWKS_HOSTS } from '../../lib/config.js'
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

t.test('the hosted scheme: configuration token, RS256, a region the relay allows, the key and the limit', async t => {
  const { properties, configuration_spec: spec } = moduleType
  t.equal(properties['auth-type'], 'configuration-token')
  t.equal(properties['configuration-token-alg'], 'RS256')
  t.ok(DEFAULT_JWKS_HOSTS.split(',').includes(properties.custom_jwks_host), 'custom_jwks_host is on the default allow-list')
  t.match(properties.url, /^https:\/\/[^/]+$/)
  t.strictSame(spec.map(({ key, type, required }) => ({ key, type, required })), [
    { key: 'custom_key', type: 'api_key', required: true },
    { key: 'custom_CTR_ENTITIES_LIMIT', type: 'integer', required: false }
  ])
  for (const field of spec) t.ok(field.label !== '' && field.tooltip !== '', field.key)
})

t.test('a token as Threat Response makes it from this module type is accepted, key and limit included', async t => {
  // Threat Response puts each custom_ setting into the token without its prefix, and the module's URL in aud.
  const key = signingKey('tr-key')
  const jwks = await startJwksServer([key])
  t.teardown(() => jwks.close())
  const settings: Record<string, unknown> = { custom_key: C1FAPP_KEY, custom_CTR_ENTITIES_LIMIT: 2, custom_jwks_host: jwks.host }
  const claims = Object.fromEntries(Object.entries(settings).map(([name, value]) => [name.replace(/^custom_/, ''), value]))
  const { app, simulator } = await buildRelay(t, {
    SECRET_KEY: undefined, RELAY_PUBLIC_URL: moduleType.properties.url, JWKS_HOSTS: jwks.host, JWKS_ALLOW_HTTP: '1'
  })
  const jwt = configurationToken(key, jwks.host, { ...claims, aud: moduleType.properties.url })
  t.strictSame((await post(app, '/health', undefined, bearer(jwt))).json(), healthOk(1))
  simulator.script('*', { body: [1, 2, 3].map(day => ({ feed_label: ['Phishtank'], reportime: [`2026-10-0${day}`] })) })
  const body = observeBody(t, await post(app, '/observe/observables', [{ type: 'domain', value: 'phish.example' }], bearer(jwt)), 'observe-module-type-token')
  t.equal(body.data.sightings.count, 2, 'custom_CTR_ENTITIES_LIMIT')
})
