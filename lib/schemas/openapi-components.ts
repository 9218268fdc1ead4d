// Names the OpenAPI description's schemas. A TypeBox schema with a `title` (an annotation that
// neither Ajv nor fast-json-stringify reads, so naming a schema changes no validation and no
// serialisation) becomes `components.schemas.<title>`, and every place it appears becomes a `$ref`
// to it: /documentation then lists the CTIM model under Schemas. Pure.

type Json = Record<string, unknown>

const PREFIX = '#/components/schemas/'
// The keywords whose value is a schema, or a list or a map of schemas.
const SUBSCHEMA = ['items', 'additionalProperties', 'not']
const SUBSCHEMA_LIST = ['allOf', 'anyOf', 'oneOf', 'items']
const SUBSCHEMA_MAP = ['properties', 'patternProperties']

function isObject (value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Two schemas with one name would make the description lie about one of them. */
export class ComponentNameError extends Error {
  constructor (name: string) {
    super(`two different schemas are named ${name}: the OpenAPI component name must be unique`)
    this.name = 'ComponentNameError'
  }
}

/** `components` gains the named schemas found in `schema`; the answer is `schema` with each of them a `$ref`. */
function hoist (schema: unknown, components: Json): unknown {
  if (!isObject(schema)) return schema
  const walked: Json = { ...schema }
  for (const key of SUBSCHEMA) if (isObject(walked[key])) walked[key] = hoist(walked[key], components)
  for (const key of SUBSCHEMA_LIST) {
    const list = walked[key]
    if (Array.isArray(list)) walked[key] = list.map(item => hoist(item, components))
  }
  for (const key of SUBSCHEMA_MAP) {
    const map = walked[key]
    if (isObject(map)) walked[key] = Object.fromEntries(Object.entries(map).map(([name, item]) => [name, hoist(item, components)]))
  }
  const name = walked.title
  if (typeof name !== 'string') return walked
  if (name in components && JSON.stringify(components[name]) !== JSON.stringify(walked)) throw new ComponentNameError(name)
  components[name] = walked
  return { $ref: PREFIX + name }
}

/** Every `schema` of the operations (parameters, request bodies, responses), hoisted. */
function hoistOperations (node: unknown, components: Json): unknown {
  if (Array.isArray(node)) return node.map(item => hoistOperations(item, components))
  if (!isObject(node)) return node
  return Object.fromEntries(Object.entries(node).map(([key, value]) =>
    [key, key === 'schema' ? hoist(value, components) : hoistOperations(value, components)]))
}

/** `$ref`s to a component that has been renamed point at its new name. */
function rewriteRefs (node: unknown, renamed: Map<string, string>): unknown {
  if (Array.isArray(node)) return node.map(item => rewriteRefs(item, renamed))
  if (!isObject(node)) return node
  return Object.fromEntries(Object.entries(node).map(([key, value]) =>
    [key, key === '$ref' ? renamed.get(value as string) ?? value : rewriteRefs(value, renamed)]))
}

/**
 * The description with every titled schema as a named component. @fastify/swagger's own
 * components (a nested `$id` becomes `def-N` titled with the `$id`) are renamed after their title.
 */
export function nameComponents<T extends object> (document: T): T & { components: { schemas: Json } } {
  const { components: given = {}, paths = {} } = document as { components?: { schemas?: Json }, paths?: Json }
  const components: Json = {}
  const renamed = new Map<string, string>()
  for (const [key, schema] of Object.entries(given.schemas ?? {})) {
    const hoisted = hoist(schema, components) as Json
    // a titled component is now under its title, which may be its key already
    if (typeof hoisted.$ref !== 'string') components[key] = hoisted
    else if (hoisted.$ref !== PREFIX + key) renamed.set(PREFIX + key, hoisted.$ref)
  }
  const operations = hoistOperations(paths, components)
  return rewriteRefs({ ...document, components: { ...given, schemas: components }, paths: operations }, renamed) as T & { components: { schemas: Json } }
}
