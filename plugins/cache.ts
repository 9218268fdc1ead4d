// fastify.answerCache: the answer cache (clients/answer-cache.ts) the configuration asks for, with
// the relay's log and metrics; closed with the relay.
import fp from 'fastify-plugin'
import { createAnswerCache, type AnswerCache } from '../clients/answer-cache.js'

declare module 'fastify' {
  interface FastifyInstance {
    answerCache: AnswerCache
  }
}

export default fp(async function cache (fastify) {
  const cache = await createAnswerCache(fastify.config, fastify.log, fastify.metrics)
  fastify.decorate('answerCache', cache)
  fastify.addHook('onClose', async () => cache.close())
}, { name: 'cache', fastify: '5.x', dependencies: ['config', 'metrics'] })
