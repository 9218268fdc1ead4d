// The body of the /…/observables routes (contract §1.1).
import { Type, type Static } from '@sinclair/typebox'

/** The limits of configuration (lib/config.ts) on what one call looks up. */
export interface ObservableLimits {
  MAX_OBSERVABLES: number
  MAX_VALUE_LENGTH: number
}

/**
 * The body of every /…/observables route: what Threat Response sends about an investigation.
 * The limits are not the schema's: Threat Response sends every observable of an investigation to
 * every module, so one unrelated value must not refuse the whole call (observablesToQuery).
 */
export function observablesBody (limits: ObservableLimits) {
  return Type.Array(Type.Object({
    type: Type.String({ minLength: 1, description: 'observable type; only domain, ip and url are looked up' }),
    value: Type.String({
      minLength: 1,
      description: `a domain, ip or url value longer than ${limits.MAX_VALUE_LENGTH} characters (MAX_VALUE_LENGTH) is skipped with a warning`
    })
  }), {
    description: `the observables of an investigation; the first ${limits.MAX_OBSERVABLES} distinct domain, ip and url ` +
      'observables (MAX_OBSERVABLES) are looked up, the others left out with a warning'
  })
}

export type ObservablesBody = Static<ReturnType<typeof observablesBody>>
