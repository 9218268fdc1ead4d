// The relay as one Fastify plugin: every file of plugins/ (each names the plugins it depends on),
// then every file of routes/ (a folder is a route prefix). build-server.ts registers it, with the
// configuration read once, which autoload hands to every plugin and route.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import autoload from '@fastify/autoload'
import { Ajv } from 'ajv'
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { ConfigReading } from './lib/config.js'

const here = path.dirname(fileURLToPath(import.meta.url))

const app: FastifyPluginAsync<ConfigReading> = async function app (fastify, opts) {
  // Threat Response's JSON is taken as sent: no type coercion ("5" is no number, 5 no string).
  const ajv = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false, strict: false })
  fastify.setValidatorCompiler(({ schema }) => ajv.compile(schema))

  await fastify.register(autoload, { dir: path.join(here, 'plugins'), options: opts })
  await fastify.register(autoload, { dir: path.join(here, 'routes'), options: opts })
}

// Not encapsulated: its error handler, 404 handler and validator serve the whole server.
export default fp(app, { name: 'c1fapp-relay', fastify: '5.x' })
