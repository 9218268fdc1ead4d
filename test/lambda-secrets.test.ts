// lambda-secrets.ts against a real loopback server that speaks the AWS Parameters and Secrets
// Lambda Extension's protocol: SECRET_KEY read at cold start from an SSM SecureString.
import t, { type Test } from 'tap'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHandler } from '../lambda.js'
import { withSecretKey } from '../lambda-secrets.js'
import { SECRET_KEY } from './helper.js'

const SESSION_TOKEN = 'session-token-of-the-function'
const PARAMETER = '/c1fapp-relay/secret-key'

interface Extension { port: string, requests: Array<{ url: string, token: unknown }>, answer: { status: number, body: string } }

async function startExtension (t: Test): Promise<Extension> {
  const state: Extension = {
    port: '',
    requests: [],
    answer: { status: 200, body: JSON.stringify({ Parameter: { Name: PARAMETER, Type: 'SecureString', Value: SECRET_KEY, Version: 3 } }) }
  }
  const server = createServer((req, res) => {
    state.requests.push({ url: req.url as string, token: req.headers['x-aws-parameters-secrets-token'] })
    if (req.headers['x-aws-parameters-secrets-token'] !== SESSION_TOKEN) return res.writeHead(401).end('unauthorized')
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
  const env = await withSecretKey(envOf(extension, { LOG_LEVEL: 'warn' }))
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
  t.equal(await withSecretKey(env), env)
  t.equal(await withSecretKey({ ...env, SECRET_KEY_PARAMETER: '' }).then(read => read.SECRET_KEY), SECRET_KEY)
})

t.test('a parameter that cannot be read stops the cold start, naming it and never a value', async t => {
  const extension = await startExtension(t)
  const message = (why: string) => `Invalid configuration: SECRET_KEY_PARAMETER names ${PARAMETER}, which could not be read (${why}); ` +
    'the function needs the AWS Parameters and Secrets Lambda Extension layer and ssm:GetParameter on that parameter'
  await t.rejects(withSecretKey(envOf(extension, { AWS_SESSION_TOKEN: 'another' })), { name: 'ConfigError', message: message('HTTP 401') })
  const noToken: Record<string, string> = envOf(extension)
  delete noToken.AWS_SESSION_TOKEN
  await t.rejects(withSecretKey(noToken), { message: message('HTTP 401') })
  extension.answer = { status: 400, body: '{"message":"ParameterNotFound"}' }
  await t.rejects(withSecretKey(envOf(extension)), { message: message('HTTP 400') })
  for (const body of ['not json', '{"Parameter":{}}', 'null']) {
    extension.answer = { status: 200, body }
    await t.rejects(withSecretKey(envOf(extension)), { message: message('the answer holds no parameter value') }, body)
  }
  await t.rejects(withSecretKey(envOf(extension, { PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: '9' })), { message: /could not be read \(the extension did not answer: / })
  const defaultPort: Record<string, string> = envOf(extension)
  delete defaultPort.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT
  await t.rejects(withSecretKey(defaultPort), { message: /could not be read \(the extension did not answer: / }, 'port 2773 by default: nothing listens there in a test')
})
