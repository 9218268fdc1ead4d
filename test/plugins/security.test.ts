// Security headers (plugins/security.ts, plugins/documentation.ts): every JSON answer forbids
// what a browser could do with it; the documentation page gets the policy its own assets need,
// and those assets load.
import t from 'tap'
import { buildRelay, post } from '../helper.js'

const API_CSP = "default-src 'none';frame-ancestors 'none'"

const COMMON = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'strict-transport-security': 'max-age=31536000',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'x-permitted-cross-domain-policies': 'none',
  'x-dns-prefetch-control': 'off',
  'x-xss-protection': '0'
}

t.test('every JSON answer carries the strict headers: data, errors, 404, unauthenticated routes', async t => {
  const { app } = await buildRelay(t)
  const answers = {
    'observe data': await post(app, '/observe/observables', [{ type: 'domain', value: 'phish.example' }]),
    'observe error': await post(app, '/observe/observables', '{'),
    'authorization error': await post(app, '/health', undefined, {}),
    version: await post(app, '/version', undefined, {}),
    watchdog: await app.inject({ method: 'GET', url: '/watchdog', headers: { 'health-check': 'x' } }),
    'not found': await app.inject({ method: 'GET', url: '/nothing-here' })
  }
  for (const [name, response] of Object.entries(answers)) {
    t.match(response.headers['content-type'], /^application\/json/, name)
    t.equal(response.headers['content-security-policy'], API_CSP, name)
    t.match(response.headers, COMMON, name)
    t.equal(response.headers['x-powered-by'], undefined, name)
  }
})

t.test('the documentation page loads: its HTML, scripts and styles answer 200 under a policy that allows them', async t => {
  const { app } = await buildRelay(t)
  const page = await app.inject({ method: 'GET', url: '/documentation/' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  const csp = String(page.headers['content-security-policy'])
  const directives = Object.fromEntries(csp.split(';').map(part => part.trim()).filter(Boolean).map(part => {
    const [name, ...values] = part.split(/\s+/)
    return [name, values]
  }))
  t.strictSame(directives['script-src'], ["'self'"], 'scripts from the relay only')
  t.strictSame(directives['default-src'], ["'self'"])
  t.strictSame(directives['frame-ancestors'], ["'none'"])
  t.strictSame(directives['object-src'], ["'none'"])
  t.ok(directives['style-src'].includes("'self'"))
  t.notOk('upgrade-insecure-requests' in directives, 'the page works on a relay served over plain http')
  t.notMatch(csp, /validator\.swagger\.io/, 'nothing is loaded from elsewhere')
  t.match(page.headers, COMMON)

  const html = page.body
  t.notMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/, 'no inline script, which script-src would block')
  const assets = [...html.matchAll(/<(?:script|link)[^>]*\s(?:src|href)="([^"]+)"/g)].map(match => match[1])
  t.ok(assets.some(asset => asset.endsWith('swagger-ui-bundle.js')), 'the UI bundle')
  t.ok(assets.some(asset => asset.endsWith('swagger-ui.css')), 'its styles')
  t.ok(assets.some(asset => asset.endsWith('swagger-initializer.js')), 'its initializer')
  for (const asset of assets) {
    t.notMatch(asset, /^[a-z]+:|^\/\//i, `${asset} is served by the relay`)
    const response = await app.inject({ method: 'GET', url: new URL(asset, 'http://relay/documentation/').pathname })
    t.equal(response.statusCode, 200, asset)
    t.match(response.headers['content-type'], /^(application\/javascript|text\/css|image\/png)/, asset)
    t.equal(response.headers['content-security-policy'], csp, `${asset}: the page's policy`)
  }
  const spec = await app.inject({ method: 'GET', url: '/documentation/json' })
  t.equal(spec.statusCode, 200)
  t.equal(spec.json().openapi, '3.0.3')
})
