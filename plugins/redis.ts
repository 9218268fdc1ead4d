// fastify.redis: with CACHE_REDIS_URL, the one connection (clients/redis.ts) that the answer cache
// and the daily quota's counters share; undefined without it. Closed with the relay.
import fp from 'fastify-plugin'
import { connectRedis, type SharedRedis } from '../clients/redis.js'

declare module 'fastify' {
  interface FastifyInstance {
    redis: SharedRedis | undefined
  }
}

export default fp(async function redis (fastify) {
  const url = fastify.config.CACHE_REDIS_URL
  const connection = url === undefined ? undefined : await connectRedis(url, fastify.config, fastify.log, fastify.metrics)
  fastify.decorate('redis', connection)
  if (connection !== undefined) fastify.addHook('onClose', async () => connection.close())
}, { name: 'redis', fastify: '5.x', dependencies: ['config', 'metrics'] })
