// A schema's title names it in the OpenAPI description: held once under components, referred to elsewhere.
import t from 'tap'
import { ComponentNameError, nameComponents } from '../../../lib/schemas/openapi-components.js'

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const point = { title: 'Point', type: 'object', properties: { x: { type: 'number' } } }

t.test('a titled schema in any schema position becomes a component, referred to wherever it was', async t => {
  const schema = {
    type: 'object',
    properties: { title: { type: 'string' }, at: point },
    patternProperties: { '^p': point },
    additionalProperties: point,
    items: [point, { type: 'string' }],
    anyOf: [point],
    oneOf: [true, point],
    allOf: [{ not: point }],
    required: ['at']
  }
  const document = {
    openapi: '3.0.3',
    paths: {
      '/a': {
        post: {
          tags: ['relay'],
          parameters: [{ name: 'q', in: 'query', schema: { type: 'array', items: point } }],
          responses: { 200: { content: { 'application/json': { schema } } } }
        }
      }
    }
  }
  const named = nameComponents(document)
  t.strictSame(named.components, { schemas: { Point: point } })
  t.strictSame(named.paths['/a'].post.parameters, [{ name: 'q', in: 'query', schema: { type: 'array', items: ref('Point') } }])
  t.strictSame(named.paths['/a'].post.responses[200].content['application/json'].schema, {
    type: 'object',
    properties: { title: { type: 'string' }, at: ref('Point') },
    patternProperties: { '^p': ref('Point') },
    additionalProperties: ref('Point'),
    items: [ref('Point'), { type: 'string' }],
    anyOf: [ref('Point')],
    oneOf: [true, ref('Point')],
    allOf: [{ not: ref('Point') }],
    required: ['at']
  })
  t.equal(named.openapi, '3.0.3', 'the rest of the document is kept')
  t.strictSame(document.paths['/a'].post.parameters[0].schema.items, point, 'the given document is not changed')
})

t.test("@fastify/swagger's def-N components are renamed after their title, and their references follow", async t => {
  const named = nameComponents({
    components: {
      securitySchemes: { bearerAuth: { type: 'http' } },
      schemas: { 'def-0': { title: 'Failure', type: 'string' }, 'def-1': { type: 'integer' }, Point: point }
    },
    paths: { '/a': { get: { responses: { 200: { content: { 'application/json': { schema: { items: ref('def-0') } } } } } } } }
  })
  t.strictSame(named.components, {
    securitySchemes: { bearerAuth: { type: 'http' } },
    schemas: { Failure: { title: 'Failure', type: 'string' }, 'def-1': { type: 'integer' }, Point: point }
  })
  t.strictSame(named.paths['/a'].get.responses[200].content['application/json'].schema, { items: ref('Failure') })
})

t.test('a nested named schema is a component of its own, referred to by the schema around it', async t => {
  const line = { title: 'Line', type: 'object', properties: { from: point, to: point } }
  const named = nameComponents({ paths: { '/a': { get: { schema: line } } } })
  t.strictSame(named.components.schemas, {
    Point: point,
    Line: { title: 'Line', type: 'object', properties: { from: ref('Point'), to: ref('Point') } }
  })
  t.strictSame(named.paths['/a'].get.schema, ref('Line'))
})

t.test('two different schemas under one name stop the description', async t => {
  const other = { ...point, properties: { y: { type: 'number' } } }
  t.throws(() => nameComponents({ paths: { '/a': { get: { schema: { anyOf: [point, other] } } } } }),
    new ComponentNameError('Point'))
  t.match(new ComponentNameError('Point'), { name: 'ComponentNameError', message: /two different schemas are named Point/ })
})

t.test('a document without schemas or paths is kept as it is', async t => {
  t.strictSame(nameComponents({ openapi: '3.0.3' }), { openapi: '3.0.3', components: { schemas: {} }, paths: {} })
})
