// The relay as one Fastify plugin: plugins/ (configuration, auth, the C1fApp client, errors,
// documentation), then routes/. server.ts and the tests register it the same way.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import autoload from '@fastify/autoload'
import { Ajv } from 'ajv'
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'

const here = path.dirname(fileURLToPath(import.meta.url))

export interface AppOptions {
  /** the environment to configure the relay from (process.env in production, the tests' own in tests) */
  env: Record<string, string | undefined>
}

const app: FastifyPluginAsync<AppOptions> = async function app (fastify, opts) {
  // Threat Response's JSON is taken as sent: no type coercion ("5" is no number, 5 no string).
  const ajv = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false, strict: false })
  fastify.setValidatorCompiler(({ schema }) => ajv.compile(schema))

  await fastify.register(autoload, { dir: path.join(here, 'plugins'), options: opts })
  await fastify.register(autoload, { dir: path.join(here, 'routes'), options: opts })
}

// Not encapsulated: its error handler, 404 handler and validator serve the whole server.
export default fp(app, { name: 'c1fapp-relay', fastify: '5.x' })
