// The CTIM entities this relay emits, as TypeBox schemas. They are the routes' answer schemas, so
// Fastify serialises every answer through them, and the tests validate answers against them.
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { CONFIDENCE_LEVELS, CTIM_SCHEMA_VERSION, SEVERITIES } from '../ctim/vocabulary.js'
import { IntegerEnum, StringEnum } from './enums.js'

export const ObservableSchema = Type.Object({
  type: Type.String(),
  value: Type.String()
}, { title: 'Observable', additionalProperties: false })

export const ConfidenceSchema = StringEnum(CONFIDENCE_LEVELS)

export const ObservedRelationSchema = Type.Object({
  origin: Type.String(),
  relation: Type.String(),
  source: ObservableSchema,
  related: ObservableSchema
}, { title: 'ObservedRelation', additionalProperties: false })

export const SightingSchema = Type.Object({
  id: Type.String({ pattern: '^transient:sighting-' }),
  type: Type.Literal('sighting'),
  schema_version: Type.Literal(CTIM_SCHEMA_VERSION),
  source: Type.String(),
  source_uri: Type.Optional(Type.String()),
  confidence: ConfidenceSchema,
  count: Type.Integer({ minimum: 1 }),
  description: Type.String(),
  observables: Type.Array(ObservableSchema),
  observed_time: Type.Object({
    start_time: Type.String(),
    end_time: Type.String()
  }, { additionalProperties: false }),
  relations: Type.Array(ObservedRelationSchema)
}, { title: 'Sighting', additionalProperties: false })

export const IndicatorSchema = Type.Object({
  id: Type.String({ pattern: '^transient:indicator-' }),
  type: Type.Literal('indicator'),
  schema_version: Type.Literal(CTIM_SCHEMA_VERSION),
  producer: Type.String(),
  title: Type.String(),
  short_description: Type.String(),
  tags: Type.Array(Type.String()),
  confidence: ConfidenceSchema,
  tlp: Type.Literal('white'),
  valid_time: Type.Object({}, { additionalProperties: false })
}, { title: 'Indicator', additionalProperties: false })

export const RelationshipSchema = Type.Object({
  id: Type.String({ pattern: '^transient:relationship-' }),
  type: Type.Literal('relationship'),
  schema_version: Type.Literal(CTIM_SCHEMA_VERSION),
  /** a sighting is a member of its feed's indicator, a judgement an element of it */
  relationship_type: StringEnum(['member-of', 'element-of'] as const),
  source_ref: Type.String(),
  target_ref: Type.String()
}, { title: 'Relationship', additionalProperties: false })

export const ValidTimeSchema = Type.Object({
  start_time: Type.String(),
  end_time: Type.String()
}, { title: 'ValidTime', additionalProperties: false })

// CTIM's dispositions this relay gives: 2 Malicious, 3 Suspicious, 5 Unknown (an enum, as StringEnum says why).
const DispositionSchema = IntegerEnum([2, 3, 5] as const)
const DispositionNameSchema = StringEnum(['Malicious', 'Suspicious', 'Unknown'] as const)

export const JudgementSchema = Type.Object({
  id: Type.String({ pattern: '^transient:judgement-' }),
  type: Type.Literal('judgement'),
  schema_version: Type.Literal(CTIM_SCHEMA_VERSION),
  observable: ObservableSchema,
  disposition: DispositionSchema,
  disposition_name: DispositionNameSchema,
  severity: StringEnum(SEVERITIES),
  confidence: ConfidenceSchema,
  priority: Type.Integer(),
  source: Type.String(),
  source_uri: Type.Optional(Type.String()),
  tlp: Type.Literal('white'),
  reason: Type.String(),
  valid_time: ValidTimeSchema
}, { title: 'Judgement', additionalProperties: false })

export const VerdictSchema = Type.Object({
  type: Type.Literal('verdict'),
  observable: ObservableSchema,
  disposition: DispositionSchema,
  disposition_name: DispositionNameSchema,
  valid_time: ValidTimeSchema,
  judgement_id: Type.Optional(Type.String({ pattern: '^transient:judgement-' }))
}, { title: 'Verdict', additionalProperties: false })

function List<T extends TSchema> (doc: T) {
  return Type.Object({ count: Type.Integer({ minimum: 1 }), docs: Type.Array(doc) }, { additionalProperties: false })
}

/** Only non-empty lists are present; nothing found is `{}`. */
export const ObserveBundleSchema = Type.Object({
  sightings: Type.Optional(List(SightingSchema)),
  indicators: Type.Optional(List(IndicatorSchema)),
  judgements: Type.Optional(List(JudgementSchema)),
  verdicts: Type.Optional(List(VerdictSchema)),
  relationships: Type.Optional(List(RelationshipSchema))
}, { title: 'ObserveBundle', additionalProperties: false })

/** Deliberate answers verdicts only; nothing found is `{}`. */
export const DeliberateBundleSchema = Type.Object({
  verdicts: Type.Optional(List(VerdictSchema))
}, { title: 'DeliberateBundle', additionalProperties: false })

export type Sighting = Static<typeof SightingSchema>
export type Indicator = Static<typeof IndicatorSchema>
export type Relationship = Static<typeof RelationshipSchema>
export type ObservedRelation = Static<typeof ObservedRelationSchema>
export type CtimObservable = Static<typeof ObservableSchema>
export type ObserveBundle = Static<typeof ObserveBundleSchema>
export type DeliberateBundle = Static<typeof DeliberateBundleSchema>
export type Judgement = Static<typeof JudgementSchema>
export type Verdict = Static<typeof VerdictSchema>
export type ValidTime = Static<typeof ValidTimeSchema>
