// Request bodies. Every relay call carries JSON, whatever Content-Type a client sets, and an
// empty body is no body (Threat Response may POST /health with nothing), so one parser takes all.
import fp from 'fastify-plugin'
import { RelayError } from '../lib/relay-error.js'

export default fp(async function body (fastify) {
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser('*', { parseAs: 'string', bodyLimit: fastify.config.MAX_BODY_BYTES }, function parseJson (request, text, done) {
    if ((text as string).trim() === '') return done(null, undefined)
    try {
      done(null, JSON.parse(text as string))
    } catch (error) {
      done(new RelayError('invalid argument', `Invalid JSON payload received. The body is not JSON: ${(error as Error).message}.`), undefined)
    }
  })
}, { name: 'body', fastify: '5.x', dependencies: ['config'] })
