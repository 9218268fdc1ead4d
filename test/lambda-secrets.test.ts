// lambda-secrets.ts against a real loopback server that speaks the AWS Parameters and Secrets
// Lambda Extension's protocol: SECRET_KEY, CACHE_REDIS_URL and CACHE_REDIS_SECRET read at cold
// start from SSM SecureStrings.
import t, { type Test } from 'tap'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHandler } from '../lambda.js'
import { withSecrets } from '../lambda-secrets.js'
import { SECRET_KEY } from './helper.js'

const SESSION_TOKEN = 'session-token-of-the-function'
const PARAMETER = '/c1fapp-relay/secret-key'

interface Extension {
  port: string
  requests: Array<{ url: string, token: unknown }>
  answer: { status: number, body: string }
  /** parameters other than PARAMETER, by name */
  others: Record<string, string>
}

async function startExtension (t: Test): Promise<Extension> {
  const state: Extension = {
    port: '',
    requests: [],
    answer: { status: 200, body: JSON.stringify({ Parameter: { Name: PARAMETER, Type: 'SecureString', Value: SECRET_KEY, Version: 3 } }) },
    others: {}
  }
  const server = createServer((req, res) => {
    state.requests.push({ url: req.url as string, token: req.headers['x-aws-parameters-secrets-token'] })
    if (req.headers['x-aws-parameters-secrets-token'] !== SESSION_TOKEN) return res.writeHead(401).end('unauthorized')
    const name = new URL(req.url as string, 'http://localhost').searchParams.get('name') as string
    if (name in state.others) return res.writeHead(200).end(JSON.stringify({ Parameter: { Name: name, Type: 'SecureString', Value: state.others[name] } }))
    res.writeHead(state.answer.status, { 'content-type': 'application/json' }).end(state.answer.body)
  })
  server.listen(0, 'localhost')
  await once(server, 'listening')
  t.teardown(() => { server.close() })
  state.port = String((server.address() as AddressInfo).port)
  return state
}

const envOf = (extension: Extension, more: Record<string, string> = {}) => ({
  SECRET_KEY_PARAMETER: PARAMETER, AWS_SESSION_TOKEN: SESSION_TOKEN, PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: extension.port, ...more
})

t.test('SECRET_KEY comes from the parameter, asked with the session token, decrypted', async t => {
  const extension = await startExtension(t)
  const env = await withSecrets(envOf(extension, { LOG_LEVEL: 'warn' }))
  t.equal(env.SECRET_KEY, SECRET_KEY)
  t.equal(env.LOG_LEVEL, 'warn')
  t.strictSame(extension.requests, [{ url: `/systemsmanager/parameters/get?name=${encodeURIComponent(PARAMETER)}&withDecryption=true`, token: SESSION_TOKEN }])
})

t.test('the Lambda handler reads it at cold start, once', async t => {
  const extension = await startExtension(t)
  const handler = createHandler(envOf(extension, { LOG_LEVEL: 'silent' }))
  const server = await handler.server()
  t.teardown(() => server.close())
  t.equal(server.config.SECRET_KEY, SECRET_KEY)
  await handler.server()
  t.equal(extension.requests.length, 1)
})

t.test('without SECRET_KEY_PARAMETER nothing is asked', async t => {
  const env = { SECRET_KEY }
  t.equal(await withSecrets(env), env)
  t.equal(await withSecrets({ ...env, SECRET_KEY_PARAMETER: '' }).then(read => read.SECRET_KEY), SECRET_KEY)
})

t.test('a parameter that cannot be read stops the cold start, naming it and never a value', async t => {
  const extension = await startExtension(t)
  const message = (why: string) => `Invalid configuration: SECRET_KEY_PARAMETER names ${PARAMETER}, which could not be read (${why}); ` +
    'the function needs the AWS Parameters and Secrets Lambda Extension layer and ssm:GetParameter on that parameter'
  await t.rejects(withSecrets(envOf(extension, { AWS_SESSION_TOKEN: 'another' })), { name: 'ConfigError', message: message('HTTP 401') })
  const noToken: Record<string, string> = envOf(extension)
  delete noToken.AWS_SESSION_TOKEN
  await t.rejects(withSecrets(noToken), { message: message('HTTP 401') })
  extension.answer = { status: 400, body: '{"message":"ParameterNotFound"}' }
  await t.rejects(withSecrets(envOf(extension)), { message: message('HTTP 400') })
  for (const body of ['not json', '{"Parameter":{}}', 'null']) {
    extension.answer = { status: 200, body }
    await t.rejects(withSecrets(envOf(extension)), { message: message('the answer holds no parameter value') }, body)
  }
  await t.rejects(withSecrets(envOf(extension, { PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: '9' })), { message: /could not be read \(the extension did not answer: / })
  const defaultPort: Record<string, string> = envOf(extension)
  delete defaultPort.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT
  await t.rejects(withSecrets(defaultPort), { message: /could not be read \(the extension did not answer: / }, 'port 2773 by default: nothing listens there in a test')
})

t.test('CACHE_REDIS_URL and CACHE_REDIS_SECRET come from their parameters too, each named in a failure', async t => {
  const extension = await startExtension(t)
  const url = 'redis://:redis-password-in-ssm@cache.example:6379/0'
  extension.others = { '/relay/redis-url': url, '/relay/redis-secret': 'r'.repeat(40) }
  const env = await withSecrets(envOf(extension, { CACHE_REDIS_URL_PARAMETER: '/relay/redis-url', CACHE_REDIS_SECRET_PARAMETER: '/relay/redis-secret' }))
  t.equal(env.SECRET_KEY, SECRET_KEY)
  t.equal(env.CACHE_REDIS_URL, url)
  t.equal(env.CACHE_REDIS_SECRET, 'r'.repeat(40))
  t.equal(extension.requests.length, 3)
  const only = await withSecrets({ AWS_SESSION_TOKEN: SESSION_TOKEN, PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: extension.port, CACHE_REDIS_URL_PARAMETER: '/relay/redis-url' })
  t.strictSame([only.CACHE_REDIS_URL, only.SECRET_KEY], [url, undefined], 'each only when its parameter is named')
  extension.answer = { status: 200, body: '{}' }
  await t.rejects(withSecrets({ AWS_SESSION_TOKEN: SESSION_TOKEN, PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: extension.port, CACHE_REDIS_URL_PARAMETER: '/relay/missing' }), {
    name: 'ConfigError',
    message: /^Invalid configuration: CACHE_REDIS_URL_PARAMETER names \/relay\/missing, which could not be read \(the answer holds no parameter value\)/
  })
})

t.test('a cold start that fails (the extension not answering yet) is tried again by the next invocation', async t => {
  const extension = await startExtension(t)
  extension.answer = { status: 503, body: 'not ready' }
  const handler = createHandler(envOf(extension, { LOG_LEVEL: 'silent' }))
  const event = { version: '2.0', rawPath: '/version', rawQueryString: '', headers: {}, isBase64Encoded: false, requestContext: { http: { method: 'POST', path: '/version', sourceIp: '127.0.0.1' } } } as any
  await t.rejects(handler(event, {} as any), { name: 'ConfigError', message: /SECRET_KEY_PARAMETER names .* could not be read \(HTTP 503\)/ })
  extension.answer = { status: 200, body: JSON.stringify({ Parameter: { Value: SECRET_KEY } }) }
  const answer = await handler(event, {} as any)
  t.teardown(async () => (await handler.server()).close())
  t.equal(answer.statusCode, 200, 'the second invocation starts the relay')
  t.match(JSON.parse(answer.body), { version: /^\d+\.\d+\.\d+/ })
  await handler(event, {} as any)
  t.equal(extension.requests.length, 2, 'and the started relay is kept')
})
