// Fixed lists of values as JSON Schema's `enum`, known to TypeBox's checker too.
import { Kind, Type, TypeRegistry } from '@sinclair/typebox'

/**
 * A string out of a fixed list, as JSON Schema's `enum`. Not a union of literals: fast-json-stringify
 * serialises a union by validating the value against each branch, for every entity's confidence.
 */
export function StringEnum<T extends string> (values: readonly T[]) {
  return Type.Unsafe<T>({ [Kind]: 'StringEnum', type: 'string', enum: [...values] })
}
// TypeBox's own checker (the tests' Value.Check) learns the kind as its documentation shows.
TypeRegistry.Set<{ enum: string[] }>('StringEnum', (schema, value) => typeof value === 'string' && schema.enum.includes(value))

/** A whole number out of a fixed list, as JSON Schema's `enum` (for the reason StringEnum gives). */
export function IntegerEnum<T extends number> (values: readonly T[]) {
  return Type.Unsafe<T>({ [Kind]: 'IntegerEnum', type: 'integer', enum: [...values] })
}
TypeRegistry.Set<{ enum: number[] }>('IntegerEnum', (schema, value) => typeof value === 'number' && schema.enum.includes(value))
