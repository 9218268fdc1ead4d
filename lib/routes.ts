// What the routes share: the observables body, the auth declaration for the OpenAPI description.
import { observablesBody } from './observables.js'

/** `security` of every authenticated route (the scheme is declared in plugins/documentation.ts). */
export const BEARER = [{ bearerAuth: [] }]

export function observablesBodyFor (config: { MAX_OBSERVABLES: number, MAX_VALUE_LENGTH: number }) {
  return observablesBody({ maxObservables: config.MAX_OBSERVABLES, maxValueLength: config.MAX_VALUE_LENGTH })
}
