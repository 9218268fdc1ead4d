// request.answerCut: set by observe when contract §3.2 cut its answer to ANSWER_MAX_BYTES, so a
// hook can log and count cut answers (relay_answers_cut_total) without reading bodies.
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyRequest {
    /** the sightings each observable kept when the answer was cut; null when it was not */
    answerCut: { keptPerObservable: number } | null
  }
}

export default fp(async function answerSize (fastify) {
  fastify.decorateRequest('answerCut', null)
  // a callback hook: an async one would cost every call a promise
  fastify.addHook('onResponse', function logCut (request, reply, done) {
    if (request.answerCut !== null) {
      request.log.info({ keptPerObservable: request.answerCut.keptPerObservable }, 'answer cut to ANSWER_MAX_BYTES')
      fastify.metrics.answerCut()
    }
    done()
  })
}, { name: 'answer-size', fastify: '5.x', dependencies: ['metrics'] })
