import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { answerSerializer, observeAnswer } from '../../lib/relay-answer.js'
import { Envelope } from '../../lib/schemas/envelope.js'
import { ObserveBundleSchema } from '../../lib/schemas/ctim.js'
import { observablesBody } from '../../lib/schemas/observables.js'
import { observablesToQuery } from '../../lib/observables.js'
import { BEARER } from '../../lib/schemas/security.js'

const observe: FastifyPluginAsyncTypebox = async function observe (fastify) {
  fastify.post('/observables', {
    schema: {
      summary: 'C1fApp sightings, indicators, judgements, verdicts and relationships of the observables',
      description: 'domain, ip and url observables are looked up; other types are skipped. ' +
        'A sighting per C1fApp record, or per feed of each observable with C1FAPP_SIGHTINGS per-feed (the token\'s claim, else the environment\'s). ' +
        'An answer that would pass ANSWER_MAX_BYTES keeps fewer sightings per observable, or leaves the observables asked last out, and says so in a warning.',
      tags: ['relay'],
      security: BEARER,
      body: observablesBody(fastify.config),
      response: { 200: Envelope(ObserveBundleSchema) }
    },
    // Fastify sends a Buffer as it is, though its types say a serialiser returns a string
    serializerCompiler: answerSerializer as unknown as () => (answer: unknown) => string,
    onRequest: fastify.authenticate
  }, async function observeObservables (request) {
    const { observables, warnings } = observablesToQuery(request.body, fastify.config)
    const outcomes = await fastify.c1fapp.lookupEach(request.c1fappKey, observables, request.log, request.dailyLimit)
    const { answer, keptPerObservable, observablesLeftOut } = observeAnswer(observables, outcomes, {
      limit: request.entitiesLimit,
      skipped: warnings,
      now: Date.now(),
      validDays: fastify.config.JUDGEMENT_VALID_DAYS,
      maxBytes: fastify.config.ANSWER_MAX_BYTES,
      sightings: request.sightings
    })
    if (keptPerObservable !== undefined) request.answerCut = { keptPerObservable, observablesLeftOut: observablesLeftOut ?? 0 }
    if (answer.data !== undefined) request.answerBundle = answer.data
    // the bundle is the schema's JSON text already, which the serialiser writes as it is
    return answer as never
  })
}

export default observe
