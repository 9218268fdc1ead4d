// fastify.c1fapp: the C1fApp client (clients/c1fapp.ts) with the relay's configuration, log,
// answer cache, daily quota and metrics; closed with the relay.
import fp from 'fastify-plugin'
import { createC1fAppClient, type C1fAppClient } from '../clients/c1fapp.js'
import { upstreamsInUse } from '../lib/redis-url.js'

declare module 'fastify' {
  interface FastifyInstance {
    c1fapp: C1fAppClient
  }
}

export default fp(async function c1fapp (fastify) {
  const client = createC1fAppClient(fastify.config, fastify.log, { cache: fastify.answerCache, metrics: fastify.metrics, quota: fastify.quota })
  fastify.decorate('c1fapp', client)
  // what an operator needs to tell which relay talks to what (a staging endpoint, another Redis)
  fastify.log.info(upstreamsInUse(fastify.config), 'C1fApp endpoint and answer cache')
  fastify.addHook('onClose', async () => client.close())
}, { name: 'c1fapp', fastify: '5.x', dependencies: ['config', 'metrics', 'cache', 'quota'] })
