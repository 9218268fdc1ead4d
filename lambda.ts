// AWS Lambda entry: the same relay behind API Gateway (HTTP API or REST API proxy events), through
// the Fastify team's adapter. A container builds the relay on its first invocation and every warm
// invocation after it reuses that instance: its configuration, its keep-alive sockets to C1fApp.
import awsLambdaFastify, { type LambdaResponse } from '@fastify/aws-lambda'
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda'
import type { FastifyInstance } from 'fastify'
import { buildServer } from './build-server.js'
import { readConfig } from './lib/config.js'
import { withSecrets } from './lambda-secrets.js'

export type ProxyEvent = APIGatewayProxyEventV2 | APIGatewayProxyEvent

export interface RelayHandler {
  (event: ProxyEvent, context: Context): Promise<LambdaResponse>
  /** the relay behind the handler, built on first use (the tests close it; Lambda never does) */
  server: () => Promise<FastifyInstance>
}

// API Gateway carries binary bodies only base64-encoded: the OpenAPI UI's favicons.
const BINARY_TYPES = ['image/png']

interface Relay {
  server: FastifyInstance
  proxy: (event: ProxyEvent, context: Context) => Promise<LambdaResponse>
}

async function build (env: Record<string, string | undefined>): Promise<Relay> {
  const server = await buildServer(readConfig(await withSecrets(env)))
  // No route reads the raw event, so requests are not decorated with it.
  const proxy = awsLambdaFastify<ProxyEvent>(server, { decorateRequest: false, binaryMimeTypes: BINARY_TYPES })
  await server.ready()
  return { server, proxy }
}

/**
 * The Lambda handler of the relay configured by `env`. A start that fails (bad configuration, or
 * the extension or SSM not answering at a cold start) rejects the invocation with its message (it
 * names the variable, never the value), which the Node.js runtime logs, and is tried again by the
 * next invocation: one hiccup must not fail every call of the execution environment.
 */
export function createHandler (env: Record<string, string | undefined>): RelayHandler {
  let relay: Promise<Relay> | undefined
  const built = (): Promise<Relay> => (relay ??= build(env).catch((error: unknown) => {
    relay = undefined
    throw error
  }))

  async function handler (event: ProxyEvent, context: Context): Promise<LambdaResponse> {
    const { proxy } = await built()
    return proxy(event, context)
  }
  handler.server = async () => (await built()).server
  return handler
}

export const handler = createHandler(process.env)
