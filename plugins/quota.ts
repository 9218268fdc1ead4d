// fastify.quota: each key's day of C1fApp requests (contract §6, clients/quota.ts), counted in the
// Redis of CACHE_REDIS_URL when there is one (plugins/redis.ts), else in the process. The C1fApp
// client asks it before every request.
import fp from 'fastify-plugin'
import { createDailyQuota, type DailyQuota } from '../clients/quota.js'
import type { ConfigReading } from '../lib/config.js'

declare module 'fastify' {
  interface FastifyInstance {
    quota: DailyQuota
  }
}

export default fp<ConfigReading>(async function quota (fastify, { clock }) {
  fastify.decorate('quota', createDailyQuota(fastify.config, fastify.redis, clock))
}, { name: 'quota', fastify: '5.x', dependencies: ['config', 'redis'] })
