// Threat Response's envelope around every answer: data, errors, or both (contract §1).
import { Type, type TSchema } from '@sinclair/typebox'
import { ERROR_TYPES } from '../relay-error.js'
import { StringEnum } from './enums.js'

export const EnvelopeErrorSchema = Type.Object({
  type: StringEnum(ERROR_TYPES),
  code: Type.String(),
  message: Type.String()
}, { $id: 'EnvelopeError', additionalProperties: false })

/** Threat Response's envelope: data, errors, or both (partial results). */
export function Envelope<T extends TSchema> (data: T) {
  return Type.Object({
    data: Type.Optional(data),
    errors: Type.Optional(Type.Array(EnvelopeErrorSchema))
  }, { additionalProperties: false, ...(data.title !== undefined && { title: `${data.title}Envelope` }) })
}

export const ErrorEnvelopeSchema = Type.Object({
  errors: Type.Array(EnvelopeErrorSchema)
}, { title: 'ErrorEnvelope', additionalProperties: false })
