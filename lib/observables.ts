import { Type, type Static } from '@sinclair/typebox'

export const SUPPORTED_TYPES = ['domain', 'ip', 'url'] as const
export type SupportedType = typeof SUPPORTED_TYPES[number]

/** The limits of configuration (lib/config.ts) that shape the body. */
export interface ObservableLimits {
  MAX_OBSERVABLES: number
  MAX_VALUE_LENGTH: number
}

/** The body of every /…/observables route: what Threat Response sends about an investigation. */
export function observablesBody (limits: ObservableLimits) {
  return Type.Array(Type.Object({
    type: Type.String({ minLength: 1, description: 'observable type; only domain, ip and url are looked up' }),
    value: Type.String({ minLength: 1, maxLength: limits.MAX_VALUE_LENGTH })
  }), { maxItems: limits.MAX_OBSERVABLES, description: 'the observables of an investigation' })
}

export type ObservablesBody = Static<ReturnType<typeof observablesBody>>

export interface Observable {
  type: SupportedType
  value: string
}

function isSupported (type: string): type is SupportedType {
  return (SUPPORTED_TYPES as readonly string[]).includes(type)
}

/**
 * The observables worth a C1fApp query: supported types only (Threat Response sends every
 * observable of an investigation to every module), each (type, value) once, in request order.
 */
export function observablesToQuery (body: ObservablesBody): Observable[] {
  const seen = new Set<string>()
  const result: Observable[] = []
  for (const { type, value } of body) {
    const key = `${type}\u0000${value}`
    if (!isSupported(type) || seen.has(key)) continue
    seen.add(key)
    result.push({ type, value })
  }
  return result
}
