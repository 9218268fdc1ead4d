// C1FAPP_SIGHTINGS (contract §3.3): a sighting per C1fApp record (`each`, the original's way) or one
// per feed of each observable (`per-feed`). It comes from the environment (lib/config.ts) or from a
// token's claim (lib/authorization.ts).

export const SIGHTINGS_MODES = ['each', 'per-feed'] as const
export type SightingsMode = typeof SIGHTINGS_MODES[number]
export const DEFAULT_SIGHTINGS: SightingsMode = 'each'

/** A C1FAPP_SIGHTINGS as written, or undefined when it is none of the modes. */
export function sightingsMode (raw: unknown): SightingsMode | undefined {
  return (SIGHTINGS_MODES as readonly unknown[]).includes(raw) ? raw as SightingsMode : undefined
}
