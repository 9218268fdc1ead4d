// CTIM's words as this relay uses them, in one place: the mapping (lib/ctim/), the record reader
// (lib/c1fapp/record.ts) and the answer schemas (lib/schemas/) all take them from here.

/** One CTIM schema version for every entity the project emits. */
export const CTIM_SCHEMA_VERSION = '1.0.17'

/** CTIM's confidence (and severity) levels, strongest first. */
export const CONFIDENCE_LEVELS = ['High', 'Medium', 'Low', 'Unknown'] as const
export type Confidence = typeof CONFIDENCE_LEVELS[number]

export const SEVERITIES = ['High', 'Medium', 'Low', 'Unknown'] as const
export type Severity = typeof SEVERITIES[number]
