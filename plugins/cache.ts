// fastify.answerCache: the answer cache (clients/answer-cache.ts) the configuration asks for, with
// the relay's metrics and, with CACHE_REDIS_URL, its Redis connection (plugins/redis.ts).
import fp from 'fastify-plugin'
import { createAnswerCache, type AnswerCache } from '../clients/answer-cache.js'
import type { ConfigReading } from '../lib/config.js'

declare module 'fastify' {
  interface FastifyInstance {
    answerCache: AnswerCache
  }
}

export default fp<ConfigReading>(async function cache (fastify, { clock }) {
  fastify.decorate('answerCache', createAnswerCache(fastify.config, fastify.metrics, fastify.redis, clock))
}, { name: 'cache', fastify: '5.x', dependencies: ['config', 'metrics', 'redis'] })
