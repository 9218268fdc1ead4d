import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { observeAnswer } from '../../lib/answer.js'
import { Envelope, ObserveBundleSchema } from '../../lib/ctim/schemas.js'
import { observablesBody, observablesToQuery, withWarnings } from '../../lib/observables.js'
import { BEARER } from '../../lib/routes.js'

const observe: FastifyPluginAsyncTypebox = async function observe (fastify) {
  fastify.post('/observables', {
    schema: {
      summary: 'C1fApp sightings, indicators and relationships of the observables',
      description: 'domain, ip and url observables are looked up; other types are skipped.',
      tags: ['relay'],
      security: BEARER,
      body: observablesBody(fastify.config),
      response: { 200: Envelope(ObserveBundleSchema) }
    },
    onRequest: fastify.authenticate
  }, async function observeObservables (request) {
    const { observables, warnings } = observablesToQuery(request.body, fastify.config)
    const outcomes = await fastify.c1fapp.lookupEach(request.c1fappKey, observables.map(({ value }) => value))
    return withWarnings(observeAnswer(observables, outcomes, request.entitiesLimit), warnings)
  })
}

export default observe
