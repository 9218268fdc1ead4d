// fastify.answerCache: the answer cache (clients/answer-cache.ts) the configuration asks for, with
// the relay's metrics and, with CACHE_REDIS_URL, its Redis connection (plugins/redis.ts).
import fp from 'fastify-plugin'
import { createAnswerCache, type AnswerCache } from '../clients/answer-cache.js'

declare module 'fastify' {
  interface FastifyInstance {
    answerCache: AnswerCache
  }
}

export default fp(async function cache (fastify) {
  fastify.decorate('answerCache', createAnswerCache(fastify.config, fastify.metrics, fastify.redis))
}, { name: 'cache', fastify: '5.x', dependencies: ['config', 'metrics', 'redis'] })
