// Contract §1 and §1.1: every route's answer, and every way a body can be wrong.
import t from 'tap'
import { VERSION } from '../../lib/version.js'
import { bearer, buildApp, buildRelay, fatal, post, saveAnswer } from '../helper.js'

function invalid (what: string) {
  return fatal('invalid argument', `Invalid JSON payload received. ${what}`)
}

t.test('the routes without C1fApp', async t => {
  const { app, simulator } = await buildRelay(t)
  const body = [{ type: 'domain', value: 'phish.example' }]
  const refer = (await post(app, '/refer/observables', body)).json()
  t.strictSame(refer, { data: [] })
  saveAnswer('refer', 'refer', refer)
  t.strictSame((await post(app, '/respond/observables', body)).json(), { data: [] })
  t.strictSame((await post(app, '/respond/trigger', { 'action-id': 'x', observable_type: 'domain', observable_value: 'phish.example' })).json(), { data: { status: 'failure' } })
  t.strictSame((await post(app, '/respond/trigger')).json(), { data: { status: 'failure' } })
  t.equal(simulator.requests.length, 0)
})

t.test('/version needs no token and has no data wrapper', async t => {
  const { app } = await buildRelay(t)
  const response = await post(app, '/version', undefined, {})
  t.equal(response.statusCode, 200)
  t.strictSame(response.json(), { version: VERSION })
  const { version } = JSON.parse((await import('node:fs')).readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
  t.equal(VERSION, version, "package.json's version")
  // JSON.parse's own words, which differ between Node.js versions
  const notJson = (() => { try { return JSON.parse('{') } catch (error) { return (error as Error).message } })()
  t.strictSame((await post(app, '/version', '{', {})).json(), invalid(`The body is not JSON: ${notJson}.`), 'errors keep the envelope')
})

t.test('/watchdog echoes the Health-Check header', async t => {
  const { app } = await buildRelay(t)
  const echo = await app.inject({ method: 'GET', url: '/watchdog', headers: { 'health-check': 'ping 42' } })
  t.equal(echo.statusCode, 200)
  t.strictSame(echo.json(), { data: 'ping 42' })
  const missing = await app.inject({ method: 'GET', url: '/watchdog' })
  t.equal(missing.statusCode, 200)
  t.strictSame(missing.json(), { errors: [{ code: 'health check failed', message: 'Invalid Health Check', type: 'fatal' }] })
})

t.test('unknown routes, and known ones with another method, answer 404 in the envelope', async t => {
  const { app } = await buildRelay(t)
  for (const [method, url, path] of [['POST', '/observe', '/observe'], ['GET', '/health', '/health'], ['POST', '/watchdog?x=1', '/watchdog'], ['GET', '/', '/']] as const) {
    const response = await app.inject({ method, url })
    t.equal(response.statusCode, 404, `${method} ${url}`)
    t.strictSame(response.json(), fatal('not found', `Unknown route: ${method} ${path}`))
  }
})

t.test('a body that is not a list of observables is refused, and nothing is queried', async t => {
  const { app, simulator } = await buildRelay(t)
  const cases: Array<[string, unknown, string]> = [
    ['not JSON', '{"type":', 'The body is not JSON: Unexpected end of JSON input.'],
    ['no body', undefined, 'body must be array.'],
    ['an object', { type: 'domain', value: 'x.example' }, 'body must be array.'],
    ['a string', '"x.example"', 'body must be array.'],
    ['null', 'null', 'body must be array.'],
    ['a member that is no object', ['x.example'], 'body/0 must be object.'],
    ['a member without value', [{ type: 'domain' }], "body/0 must have required property 'value'."],
    ['a member without type', [{ type: 'domain', value: 'a.example' }, { value: 'x.example' }], "body/1 must have required property 'type'."],
    ['a number for value', [{ type: 'ip', value: 5 }], 'body/0/value must be string.'],
    ['a number for type', [{ type: 1, value: '5' }], 'body/0/type must be string.'],
    ['an empty value', [{ type: 'domain', value: '' }], 'body/0/value must NOT have fewer than 1 characters.'],
    ['an empty type', [{ type: '', value: 'x.example' }], 'body/0/type must NOT have fewer than 1 characters.']
  ]
  for (const route of ['/observe/observables', '/deliberate/observables', '/refer/observables', '/respond/observables']) {
    for (const [name, body, what] of cases) {
      const response = await post(app, route, body)
      t.equal(response.statusCode, 200, `${route}, ${name}: HTTP 200`)
      t.strictSame(response.json(), invalid(what), `${route}, ${name}`)
    }
  }
  t.equal(simulator.requests.length, 0)
})

t.test('any Content-Type is read as JSON', async t => {
  const { app } = await buildRelay(t)
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-8']) {
    const response = await post(app, '/deliberate/observables', '[]', { 'content-type': type, authorization: bearer().authorization })
    t.strictSame(response.json(), { data: {} }, type)
  }
})

t.test('a body over MAX_BODY_BYTES is refused whole (the other limits: test/lib/observables.test.ts)', async t => {
  const { app, simulator } = await buildRelay(t, { MAX_BODY_BYTES: '2048' })
  const observables = Array.from({ length: 3 }, (_, i) => ({ type: 'domain', value: `h${i}.example` }))
  t.strictSame((await post(app, '/observe/observables', JSON.stringify(observables).padEnd(2048, ' '))).json(), { data: {} }, 'at the limit')
  t.strictSame((await post(app, '/observe/observables', JSON.stringify(observables).padEnd(2049, ' '))).json(),
    fatal('invalid argument', "The request body is larger than the limit of 2048 bytes (MAX_BODY_BYTES, a setting of the module's owner)."))
  t.equal(simulator.requests.length, 3, 'only the call within the limit was queried')
})

t.test('a request Fastify cannot read is refused in the envelope', async t => {
  const { app } = await buildRelay(t)
  const response = await app.inject({
    method: 'POST',
    url: '/version',
    headers: { 'content-type': 'application/json', 'content-length': '2' },
    payload: '[]   '
  })
  t.equal(response.statusCode, 200)
  t.match(response.json(), { errors: [{ type: 'fatal', code: 'invalid argument', message: /^Invalid JSON payload received\. / }] })
})

t.test('a bug answers 500 in the envelope, without details', async t => {
  const server = await buildApp(t, {}, false, app => {
    app.get('/boom', async () => { throw new Error('secret detail') })
  })
  const response = await server.inject({ method: 'GET', url: '/boom' })
  t.equal(response.statusCode, 500)
  t.strictSame(response.json(), fatal('unknown', 'The relay failed unexpectedly; its log says why.'))
})
