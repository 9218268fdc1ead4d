// app.ts: its validator compiler skips Ajv's check of each schema against JSON Schema's
// meta-schema (a tenth of a Lambda cold start), so the route schemas are checked here instead.
import t from 'tap'
import { Ajv } from 'ajv'
import type { FastifySchema } from 'fastify'
import { buildApp } from './helper.js'

t.test('every route schema is a valid JSON Schema', async t => {
  const schemas = new Map<string, FastifySchema>()
  // each route once, caught before its body is read: its schema as Fastify compiled it
  const app = await buildApp(t, {}, false, app => {
    app.addHook('onRequest', (request, reply, done) => {
      schemas.set(`${request.method} ${request.routeOptions.url ?? ''}`, request.routeOptions.schema ?? {})
      reply.code(204).send()
      done()
    })
  })
  const document = app.swagger() as { paths: Record<string, Record<string, unknown>> }
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const method of Object.keys(methods)) await app.inject({ method: method.toUpperCase() as 'GET', url: path })
  }
  t.ok(schemas.has('POST /observe/observables'), 'the routes of the OpenAPI document, observe among them')
  const ajv = new Ajv({ strict: false })
  let checked = 0
  for (const [route, schema] of schemas) {
    const parts: Array<[string, unknown]> = [...Object.entries(schema).filter(([part]) => ['body', 'querystring', 'params', 'headers'].includes(part)),
      ...Object.entries((schema as { response?: Record<string, unknown> }).response ?? {})]
    for (const [part, each] of parts) {
      checked++
      t.ok(ajv.validateSchema(each as object), `${route} ${part}: ${ajv.errorsText()}`)
    }
  }
  t.ok(checked > 10, `${checked} schemas of ${schemas.size} routes`)
  t.notOk(ajv.validateSchema({ type: 'array', items: { type: 'strng' } }), 'the check refuses a schema that is not one')
})
