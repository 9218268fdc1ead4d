// lambda.ts: the relay behind API Gateway answers what the HTTP server answers. The handler is
// invoked in-process with the proxy events API Gateway sends (HTTP API payload 2.0, REST API 1.0),
// talking to the C1fApp simulator over real sockets, and compared with app.inject on a relay built
// the tests' usual way against the same simulator.
import t, { type Test } from 'tap'
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda'
import type { FastifyInstance } from 'fastify'
import { createHandler, handler as defaultHandler, type ProxyEvent, type RelayHandler } from '../lambda.js'
import { DEMO_OBSERVABLES } from '../simulator/dataset.js'
import { checkCut, cutWarning, MAX, OBSERVABLES, records } from './support/answer-size.js'
import { authorizationFailed, bearer, buildRelay, C1FAPP_KEY, SECRET_KEY, token, healthOk } from './helper.js'

interface Call {
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  body?: string
}

const API_ID = 'a1b2c3d4e5'
const SOURCE_IP = '203.0.113.7'

/** What API Gateway's HTTP API sends with payload format 2.0: header names in lower case. */
function httpApiEvent ({ method, path, headers = {}, body }: Call, base64 = false): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: {
      host: `${API_ID}.execute-api.eu-west-1.amazonaws.com`,
      'user-agent': 'Threat Response',
      'x-forwarded-for': SOURCE_IP,
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      ...Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]))
    },
    requestContext: {
      accountId: '123456789012',
      apiId: API_ID,
      domainName: `${API_ID}.execute-api.eu-west-1.amazonaws.com`,
      domainPrefix: API_ID,
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: SOURCE_IP, userAgent: 'Threat Response' },
      requestId: 'Kx3n9hLxFiAEMgA=',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: '01/Oct/2026:10:00:00 +0000',
      timeEpoch: 1790848800000
    },
    body: body === undefined ? undefined : base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: base64
  }
}

/** What API Gateway's REST API sends to a Lambda proxy integration (payload 1.0): header names as the client wrote them. */
function restApiEvent ({ method, path, headers = {}, body }: Call): APIGatewayProxyEvent {
  const all = { Host: `${API_ID}.execute-api.eu-west-1.amazonaws.com`, 'User-Agent': 'Threat Response', 'X-Forwarded-For': SOURCE_IP, ...headers }
  return {
    resource: path,
    path,
    httpMethod: method,
    headers: all,
    multiValueHeaders: Object.fromEntries(Object.entries(all).map(([name, value]) => [name, [value]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: API_ID,
      httpMethod: method,
      path: `/Prod${path}`,
      protocol: 'HTTP/1.1',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTimeEpoch: 1790848800000,
      resourceId: 'abc123',
      resourcePath: path,
      stage: 'Prod',
      identity: { sourceIp: SOURCE_IP, userAgent: 'Threat Response' }
    } as APIGatewayProxyEvent['requestContext'],
    body: body ?? null,
    isBase64Encoded: false
  }
}

const context: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'c1fapp-relay-RelayFunction',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:c1fapp-relay-RelayFunction',
  memoryLimitInMB: '512',
  awsRequestId: '3f1c9a1e-0000-4000-8000-000000000000',
  logGroupName: '/aws/lambda/c1fapp-relay-RelayFunction',
  logStreamName: '2026/10/01/[$LATEST]0123456789abcdef',
  getRemainingTimeInMillis: () => 30000,
  done: () => {},
  fail: () => {},
  succeed: () => {}
}

// Sightings, judgements and relationships get fresh ids in every answer, indicators keep theirs;
// judgements and verdicts are valid from the time of their call.
function masked (body: string): unknown {
  return JSON.parse(body.replace(/transient:(sighting|judgement|relationship)-[0-9a-f-]{36}/g, 'transient:$1-<uuid>')
    .replace(/"valid_time":\{"start_time":"[^"]+","end_time":"[^"]+"\}/g, '"valid_time":"<from the call on>"'))
}

interface Answer { status: number, type: string | undefined, body: unknown }

async function viaServer (app: FastifyInstance, call: Call): Promise<Answer> {
  const response = await app.inject({ method: call.method, url: call.path, headers: call.headers, payload: call.body })
  return { status: response.statusCode, type: response.headers['content-type'] as string | undefined, body: masked(response.body) }
}

async function viaLambda (handler: RelayHandler, event: ProxyEvent): Promise<Answer> {
  const response = await handler(event, context)
  return { status: response.statusCode, type: response.headers['content-type'], body: masked(response.body) }
}

/** A relay and a Lambda handler configured alike, against one simulator. */
async function setup (t: Test, env: Record<string, string> = {}) {
  const { app, simulator } = await buildRelay(t, env)
  const handler = createHandler({ SECRET_KEY, C1FAPP_API_URL: simulator.url, LOG_LEVEL: 'silent', ...env })
  t.teardown(async () => (await handler.server()).close())
  return { app, simulator, handler }
}

const json = { 'Content-Type': 'application/json' }

t.test('every relay route answers through both event formats exactly as through the HTTP server', async t => {
  const { app, simulator, handler } = await setup(t)
  const calls: Array<[string, Call, unknown]> = [
    ['/health', { method: 'POST', path: '/health', headers: { Authorization: `Bearer ${token()}` } }, healthOk(1)],
    ['/observe/observables', { method: 'POST', path: '/observe/observables', headers: { Authorization: `Bearer ${token()}`, ...json }, body: JSON.stringify(DEMO_OBSERVABLES) }, undefined],
    ['no Authorization header', { method: 'POST', path: '/observe/observables', headers: json, body: JSON.stringify(DEMO_OBSERVABLES) }, authorizationFailed('Authorization header is missing')],
    ['a token signed with another secret', { method: 'POST', path: '/health', headers: { Authorization: `Bearer ${token(undefined, 'another-secret-that-is-long-enough-0123456789')}` } }, authorizationFailed('Failed to decode JWT with provided key')],
    ['/deliberate/observables', { method: 'POST', path: '/deliberate/observables', headers: { Authorization: `Bearer ${token()}`, ...json }, body: JSON.stringify(DEMO_OBSERVABLES) }, undefined],
    ['/watchdog', { method: 'GET', path: '/watchdog', headers: { 'Health-Check': 'lambda 1' } }, { data: 'lambda 1' }],
    ['/version', { method: 'POST', path: '/version' }, { version: '1.0.0' }],
    ['an unknown route', { method: 'GET', path: '/nowhere' }, { errors: [{ type: 'fatal', code: 'not found', message: 'Unknown route: GET /nowhere' }] }]
  ]
  for (const [name, call, expected] of calls) {
    const server = await viaServer(app, call)
    if (expected !== undefined) t.strictSame(server.body, expected, `${name}: the server's answer`)
    t.match(server.type, /^application\/json/, `${name}: JSON`)
    t.strictSame(await viaLambda(handler, httpApiEvent(call)), server, `${name}: HTTP API (payload 2.0)`)
    t.strictSame(await viaLambda(handler, restApiEvent(call)), server, `${name}: REST API (payload 1.0)`)
  }

  const observed = (await viaServer(app, calls[1][1])).body as any
  t.ok(observed.data.sightings.count > 0 && observed.data.indicators.count > 0, 'the observe answer compared is not empty')
  t.notOk(observed.errors)
  const keys = simulator.requests.map(request => JSON.parse(request.body).key)
  t.ok(keys.length >= 2 * (1 + DEMO_OBSERVABLES.length), 'both relays asked the simulator')
  t.ok(keys.every(key => key === C1FAPP_KEY), "with the key of the token's claim")
})

t.test('ANSWER_MAX_BYTES holds through the Lambda handler as through the server', async t => {
  const { app, simulator, handler } = await setup(t, { ANSWER_MAX_BYTES: String(MAX) })
  simulator.script('*', { body: records() })
  const call: Call = { method: 'POST', path: '/observe/observables', headers: { Authorization: `Bearer ${token()}`, ...json }, body: JSON.stringify(OBSERVABLES) }
  for (const event of [httpApiEvent(call), restApiEvent(call)]) {
    const response = await handler(event, context)
    t.ok(Buffer.byteLength(response.body) <= MAX, `${Buffer.byteLength(response.body)} bytes`)
    const body = JSON.parse(response.body)
    const kept = body.data.sightings.count / OBSERVABLES.length
    t.strictSame(body.errors, [cutWarning(kept)])
    checkCut(t, body, kept)
  }
  t.strictSame(await viaLambda(handler, httpApiEvent(call)), await viaServer(app, call), 'the same cut as the server\'s')
})

t.test('a base64-encoded request body (API Gateway encodes some) is read like a plain one', async t => {
  const { app, handler } = await setup(t)
  const call: Call = { method: 'POST', path: '/observe/observables', headers: { Authorization: `Bearer ${token()}`, 'Content-Type': 'text/plain' }, body: JSON.stringify(DEMO_OBSERVABLES) }
  t.strictSame(await viaLambda(handler, httpApiEvent(call, true)), await viaServer(app, call))
})

t.test("the daily quota on Lambda: each instance counts in memory without Redis, and keeps to the token's limit", async t => {
  const { handler, simulator } = await setup(t)
  const limited = { Authorization: `Bearer ${token({ key: C1FAPP_KEY, C1FAPP_DAILY_LIMIT: 1 })}`, ...json }
  const observe = (value: string): Call => ({ method: 'POST', path: '/observe/observables', headers: limited, body: JSON.stringify([{ type: 'domain', value }]) })
  t.equal((await viaLambda(handler, httpApiEvent(observe('a.example')))).status, 200)
  const held = (await viaLambda(handler, httpApiEvent(observe('b.example')))).body as any
  t.match(held, { errors: [{ type: 'fatal', code: 'too many requests', message: /^C1fApp's daily limit of 1 requests for this key is reached \(1 made today\)/ }] })
  t.equal(simulator.requests.length, 1, 'the second lookup made no request')
})

t.test('the OpenAPI UI is served, its images base64-encoded as API Gateway requires', async t => {
  const { app, handler } = await setup(t)
  const page = await handler(httpApiEvent({ method: 'GET', path: '/documentation' }), context)
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.equal(page.isBase64Encoded, false)
  t.match(page.body, /swagger/i)
  t.equal(page.body, (await app.inject({ method: 'GET', url: '/documentation' })).body)
  const icon = await handler(httpApiEvent({ method: 'GET', path: '/documentation/static/favicon-32x32.png' }), context)
  t.equal(icon.statusCode, 200)
  t.equal(icon.headers['content-type'], 'image/png')
  t.equal(icon.isBase64Encoded, true)
  const served = await app.inject({ method: 'GET', url: '/documentation/static/favicon-32x32.png' })
  t.ok(Buffer.from(icon.body, 'base64').equals(served.rawPayload), 'the same bytes as the server sends')
  const spec = await handler(restApiEvent({ method: 'GET', path: '/documentation/json' }), context)
  t.equal(JSON.parse(spec.body).openapi, '3.0.3')
})

t.test('one relay per container: built on the first invocation, reused by the next ones', async t => {
  const { handler } = await setup(t)
  const first = await handler.server()
  const call: Call = { method: 'POST', path: '/version' }
  await handler(httpApiEvent(call), context)
  await handler(restApiEvent(call), context)
  t.equal(await handler.server(), first)
  t.ok(first.config, 'configured')
  t.equal(first.config.SECRET_KEY, SECRET_KEY)
})

t.test('bad configuration fails every invocation with the reason, never the secret', async t => {
  const handler = createHandler({ SECRET_KEY: 'short-secret', C1FAPP_API_URL: 'http://127.0.0.1:9/', LOG_LEVEL: 'silent' })
  const message = 'Invalid configuration: SECRET_KEY is invalid: it must be the HS256 secret the JWTs are signed with, at least 32 characters'
  const event = httpApiEvent({ method: 'POST', path: '/health', headers: bearer() })
  await t.rejects(handler(event, context), { name: 'ConfigError', message })
  await t.rejects(handler(event, context), { name: 'ConfigError', message }, 'the next invocation too')
  await t.rejects(handler.server(), { message })
  await t.rejects(createHandler({})(event, context), { message: /^Invalid configuration: set SECRET_KEY .* or RELAY_PUBLIC_URL .*; neither is set$/ })
})

t.test("importing lambda.js builds nothing: Lambda's handler reads process.env on its first invocation", async t => {
  t.type(defaultHandler, 'function')
  t.type(defaultHandler.server, 'function')
})
