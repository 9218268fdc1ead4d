// What observe leaves on its request for the time after its answer is sent: request.answerCut, set
// when contract §3.2 cut the answer to ANSWER_MAX_BYTES, so a hook can log and count cut answers
// (relay_answers_cut_total) without reading bodies; and request.answerBundle, the bundle, whose
// memory lib/ctim/observe-bytes.ts lends until the answer is sent.
import fp from 'fastify-plugin'
import { answerSent } from '../lib/ctim/observe-bytes.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** the sightings each observable kept when the answer was cut, and the observables left out whole; null when it was not cut */
    answerCut: { keptPerObservable: number, observablesLeftOut: number } | null
    /** observe's bundle (lib/ctim/observe-bytes.ts), in memory lent for this answer; null for any other */
    answerBundle: Buffer | null
  }
}

export default fp(async function answerSize (fastify) {
  fastify.decorateRequest('answerCut', null)
  fastify.decorateRequest('answerBundle', null)
  // a callback hook: an async one would cost every call a promise. Fastify runs it once the
  // answer's last byte is handed to the socket (or the socket failed): nothing reads the bundle then.
  fastify.addHook('onResponse', function afterAnswer (request, reply, done) {
    if (request.answerBundle !== null) answerSent(request.answerBundle)
    if (request.answerCut !== null) {
      request.log.info(request.answerCut, 'answer cut to ANSWER_MAX_BYTES')
      fastify.metrics.answerCut()
    }
    done()
  })
}, { name: 'answer-size', fastify: '5.x', dependencies: ['metrics'] })
