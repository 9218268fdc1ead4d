// The observe answer in Threat Response's envelope: the data of every observable that
// succeeded, plus the errors (identical ones once). Pure.
import { mapObserveBundle } from './ctim/bundle.js'
import type { ObserveBundle } from './ctim/schemas.js'
import type { Observable } from './observables.js'
import { RelayError, uniqueErrors, type EnvelopeError } from './relay-error.js'

export interface ObserveAnswer {
  data?: ObserveBundle
  errors?: EnvelopeError[]
}

/** `outcomes[i]` is C1fApp's answer for `observables[i]`, or why there is none. */
export function observeAnswer (observables: Observable[], outcomes: Array<unknown[] | RelayError>, limit: number): ObserveAnswer {
  const answers = []
  const failures: RelayError[] = []
  for (const [i, observable] of observables.entries()) {
    const outcome = outcomes[i]
    if (outcome instanceof RelayError) failures.push(outcome)
    else answers.push({ observable, records: outcome })
  }
  if (observables.length > 0 && answers.length === 0) return { errors: uniqueErrors(failures) }
  const { bundle, warnings } = mapObserveBundle(answers, limit)
  const errors = uniqueErrors([...failures, ...warnings])
  return errors.length > 0 ? { data: bundle, errors } : { data: bundle }
}
