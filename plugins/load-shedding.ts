// Calls the relay cannot serve well are refused at once, in Threat Response's envelope with a
// Retry-After header, instead of queueing until every call times out: while the process is
// overloaded (@fastify/under-pressure: event-loop delay, heap, resident memory) and while it
// drains on shutdown (server.ts closes; calls already in flight finish).
import { getHeapStatistics } from 'node:v8'
import underPressure from '@fastify/under-pressure'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { overloadError, RETRY_AFTER_SECONDS, shuttingDownError, type PressureLimits } from '../lib/overload.js'

/** Liveness and version stay answered under pressure: an overloaded relay is still alive. */
const ALWAYS_ANSWERED = new Set(['/watchdog', '/version'])

/** The default heap threshold: close enough to V8's limit to mean trouble, early enough to act. */
const HEAP_LIMIT_SHARE = 0.9

export default fp(async function loadShedding (fastify) {
  const { config } = fastify
  const limits: PressureLimits = {
    MAX_EVENT_LOOP_DELAY_MS: config.MAX_EVENT_LOOP_DELAY_MS,
    MAX_HEAP_USED_BYTES: config.MAX_HEAP_USED_BYTES ?? Math.floor(getHeapStatistics().heap_size_limit * HEAP_LIMIT_SHARE),
    MAX_RSS_BYTES: config.MAX_RSS_BYTES
  }

  await fastify.register(underPressure, {
    maxEventLoopDelay: limits.MAX_EVENT_LOOP_DELAY_MS,
    maxHeapUsedBytes: limits.MAX_HEAP_USED_BYTES,
    maxRssBytes: limits.MAX_RSS_BYTES,
    // a rejection goes to the error handler (plugins/errors.ts), which renders the envelope
    async pressureHandler (request: FastifyRequest, reply: FastifyReply, type: string, value: number | undefined) {
      if (ALWAYS_ANSWERED.has(request.routeOptions.url as string)) return
      reply.header('retry-after', RETRY_AFTER_SECONDS)
      throw overloadError(type, value, limits)
    }
  })

  // build-server.ts builds Fastify with return503OnClosing: false, so a call that still reaches a
  // closing relay (on a kept-alive connection) comes here and gets the envelope, not a bare 503.
  let closing = false
  fastify.addHook('preClose', async () => { closing = true })
  // a callback hook: an async one would cost every call a promise
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!closing) {
      done()
      return
    }
    reply.header('connection', 'close').header('retry-after', RETRY_AFTER_SECONDS)
    done(shuttingDownError())
  })
}, { name: 'load-shedding', fastify: '5.x', dependencies: ['config', 'errors'] })
