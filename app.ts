// The relay as one Fastify plugin: every file of plugins/ (each names the plugins it depends on),
// then every file of routes/ (a folder is a route prefix). build-server.ts registers it, with the
// configuration read once, which autoload hands to every plugin and route.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import autoload from '@fastify/autoload'
import { Ajv, type ValidateFunction } from 'ajv'
import type { FastifyPluginAsync } from 'fastify'
import fastJsonStringify from 'fast-json-stringify'
import fp from 'fastify-plugin'
import type { ConfigReading } from './lib/config.js'

const here = path.dirname(fileURLToPath(import.meta.url))

const app: FastifyPluginAsync<ConfigReading> = async function app (fastify, opts) {
  // Threat Response's JSON is taken as sent: no type coercion ("5" is no number, 5 no string).
  // Ajv would first compile JSON Schema's meta-schema to check every route schema against it: a
  // tenth of a new Lambda instance's start, for schemas fixed at build time (test/app.test.ts
  // checks them against it instead).
  const ajv = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false, strict: false, validateSchema: false })
  // The /…/observables routes share one body schema: compiled once, not once per route.
  const compiled = new Map<string, ValidateFunction>()
  fastify.setValidatorCompiler(({ schema }) => {
    const text = JSON.stringify(schema)
    const known = compiled.get(text)
    if (known !== undefined) return known
    const validate = ajv.compile(schema)
    compiled.set(text, validate)
    return validate
  })
  // A route's answer serialiser (fast-json-stringify, as Fastify's own) is compiled when the route
  // first answers, not at start-up: a new Lambda instance answers one call, and observe, the usual
  // first, writes its own (lib/relay-answer.ts).
  fastify.setSerializerCompiler(({ schema }) => {
    let serialize: ((data: unknown) => string) | undefined
    return data => (serialize ??= fastJsonStringify(schema))(data)
  })

  await fastify.register(autoload, { dir: path.join(here, 'plugins'), options: opts })
  await fastify.register(autoload, { dir: path.join(here, 'routes'), options: opts })
}

// Not encapsulated: its error handler, 404 handler and validator serve the whole server.
export default fp(app, { name: 'c1fapp-relay', fastify: '5.x' })
