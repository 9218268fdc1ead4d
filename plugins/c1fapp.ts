// fastify.c1fapp: one observable value → C1fApp's records, or a RelayError (contract §2).
import http from 'node:http'
import https from 'node:https'
import fp from 'fastify-plugin'
import got, { type Got } from 'got'
import pLimit from 'p-limit'
import { readAnswer, transportError } from '../lib/c1fapp-answer.js'
import type { RelayError } from '../lib/relay-error.js'

declare module 'fastify' {
  interface FastifyInstance {
    c1fapp: C1fAppClient
  }
}

export interface C1fAppClient {
  /** C1fApp's records for the value, as received (mapping reads them); throws RelayError */
  lookup: (key: string, value: string) => Promise<unknown[]>
  /**
   * Every value's records or RelayError, in order: concurrently (at most C1FAPP_CONCURRENCY at
   * once), each distinct value once (C1fApp is asked for the value, whatever its type).
   */
  lookupEach: (key: string, values: string[]) => Promise<Array<unknown[] | RelayError>>
}

export default fp(async function c1fapp (fastify) {
  const { C1FAPP_API_URL: url, C1FAPP_TIMEOUT_MS: timeoutMs, C1FAPP_CONCURRENCY: sockets } = fastify.config
  // Keep-alive with a bounded pool: an investigation's observables reuse a few warm connections.
  const agent = {
    http: new http.Agent({ keepAlive: true, maxSockets: sockets }),
    https: new https.Agent({ keepAlive: true, maxSockets: sockets })
  }
  const client: Got = got.extend({
    agent,
    timeout: { request: timeoutMs },
    retry: { limit: 0 },
    // A followed redirect would carry the user's key to another host.
    followRedirect: false,
    throwHttpErrors: false,
    headers: { 'user-agent': 'c1fapp-relay (Cisco Threat Response relay)' }
  })

  async function lookup (key: string, value: string): Promise<unknown[]> {
    let response
    try {
      response = await client.post(url, {
        json: { key, format: 'json', backend: 'es', request: value },
        responseType: 'text'
      })
    } catch (error) {
      throw transportError(error as { code?: string, message: string }, timeoutMs)
    }
    return readAnswer(response.statusCode, response.body, key)
  }

  async function lookupEach (key: string, values: string[]): Promise<Array<unknown[] | RelayError>> {
    const limit = pLimit(sockets)
    const pending = new Map<string, Promise<unknown[] | RelayError>>()
    for (const value of values) {
      if (pending.has(value)) continue
      // lookup fails only with a RelayError: transportError and readAnswer say why
      pending.set(value, limit(() => lookup(key, value).catch((error: RelayError) => error)))
    }
    return Promise.all(values.map(value => pending.get(value) as Promise<unknown[] | RelayError>))
  }

  fastify.decorate('c1fapp', { lookup, lookupEach })
  fastify.addHook('onClose', async () => {
    agent.http.destroy()
    agent.https.destroy()
  })
}, { name: 'c1fapp', fastify: '5.x', dependencies: ['config'] })
