// What the benchmark runner and its two child processes say to each other (bench/ipc.ts carries it).
import type { ScriptedAnswer } from '../simulator/server.js'

export type SimulatorRequest =
  | { op: 'script', request: string, answer: ScriptedAnswer }
  | { op: 'unscript' }
  | { op: 'count' }

export interface SimulatorReady { url: string }

/** The relay's ceiling route: W1's answer bytes from memory, on the same Fastify instance. */
export const LIMIT_PATH = '/bench/limit'

export type RelayRequest =
  | { op: 'limit', body: string }
  | { op: 'stats' }
  /** starts V8's profiler in the relay; 'profiled' stops it and answers a ProfileSplit (bench/profile.ts) */
  | { op: 'profile' }
  | { op: 'profiled' }

export interface RelayStats {
  /** HTTP requests received */
  calls: number
  /** answers that carry an `errors` list (Threat Response's errors come with HTTP 200) */
  errorAnswers: number
  /** milliseconds of V8's garbage-collection pauses so far (PerformanceObserver's gc entries) */
  gcMs: number
}

export interface RelayReady { port: number }
