import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { deliberateAnswer } from '../../lib/relay-answer.js'
import { DeliberateBundleSchema } from '../../lib/schemas/ctim.js'
import { Envelope } from '../../lib/schemas/envelope.js'
import { observablesBody } from '../../lib/schemas/observables.js'
import { observablesToQuery } from '../../lib/observables.js'
import { BEARER } from '../../lib/schemas/security.js'

const deliberate: FastifyPluginAsyncTypebox = async function deliberate (fastify) {
  fastify.post('/observables', {
    schema: {
      summary: 'C1fApp verdicts of the observables',
      description: 'The same lookups as observe (through the same cache), answered with one verdict per observable ' +
        "that a feed judged: its worst judgement's disposition. domain, ip and url observables are looked up; other types are skipped.",
      tags: ['relay'],
      security: BEARER,
      body: observablesBody(fastify.config),
      response: { 200: Envelope(DeliberateBundleSchema) }
    },
    onRequest: fastify.authenticate
  }, async function deliberateObservables (request) {
    const { observables, warnings } = observablesToQuery(request.body, fastify.config)
    const outcomes = await fastify.c1fapp.lookupEach(request.c1fappKey, observables, request.log, request.dailyLimit)
    return deliberateAnswer(observables, outcomes, {
      limit: request.entitiesLimit,
      skipped: warnings,
      now: Date.now(),
      validDays: fastify.config.JUDGEMENT_VALID_DAYS,
      sightings: request.sightings
    })
  })
}

export default deliberate
