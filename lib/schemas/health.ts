// /health's answer (contract §1 and §6): the status, and the key's C1fApp quota in Threat
// Response's shape (ModuleHealthStatus' `quotas` in its published schema).
import { Type } from '@sinclair/typebox'
import { QUOTA_DESCRIPTION } from '../quota.js'
import { StringEnum } from './enums.js'

const DateTime = (description: string) => Type.String({ format: 'date-time', description })

export const QuotaValuesSchema = Type.Object({
  bucket_unit: StringEnum(['day'] as const),
  bucket_limit: Type.Optional(Type.Integer({ description: "the key's daily limit: the token's C1FAPP_DAILY_LIMIT, else the environment's; absent when neither is set" })),
  current_bucket_consumption: Type.Integer({ description: 'requests made to C1fApp with the key today (UTC), /health probes and retries included' }),
  current_bucket_start_time: DateTime("the day's start, UTC midnight"),
  current_bucket_end_time: DateTime("the day's end, the next UTC midnight"),
  current_bucket_limit_reached: Type.Boolean({ description: "whether no request leaves: the limit reached, or C1fApp's HTTP 429 holding the key back" }),
  current_bucket_limit_reached_at: Type.Optional(DateTime("when the count reached the limit, or C1fApp's 429 came; absent until then"))
}, { title: 'QuotaValues', additionalProperties: false })

export const HealthSchema = Type.Object({
  status: Type.Literal('ok'),
  quotas: Type.Object({
    c1fapp_api: Type.Object({
      description: Type.Literal(QUOTA_DESCRIPTION),
      values: QuotaValuesSchema
    }, { additionalProperties: false })
  }, { additionalProperties: false })
}, { title: 'Health', additionalProperties: false })
