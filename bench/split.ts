// W5's split: how long the relay's own work on 1 000 records takes, timed in this process with the
// built code: parsing C1fApp's answer, mapping it to CTIM (lib/answer.ts → lib/ctim) and
// serialising the answer with the observe route's own compiled serializer (fast-json-stringify
// from the route's answer schema), to set against the measured latency of the call.
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import Fastify from 'fastify'
import type * as AppModule from '../app.js'
import type * as AnswerModule from '../lib/answer.js'
import type { Observable } from './data.js'

export interface Split {
  /** milliseconds, the median of the runs: JSON.parse of C1fApp's answer */
  parseMs: number
  /** lib/answer.ts's observeAnswer: reading the records, lib/ctim's mapping, the envelope */
  mapMs: number
  /** the route's serializer, then Buffer.byteLength as Fastify does before sending */
  serialiseMs: number
  runs: number
  sightings: number
  answerBytes: number
}

const RUNS = 50
const WARM_RUNS = 10

function medianMs (work: () => unknown): number {
  for (let i = 0; i < WARM_RUNS; i++) work()
  const times: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const begin = performance.now()
    work()
    times.push(performance.now() - begin)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(RUNS / 2)]
}

/**
 * `answer` is C1fApp's answer for `observable` as the simulator serves it; `env` configures an
 * in-process relay (the same app, from dist/) whose observe route gives its serializer.
 */
export async function timeSplit (root: string, env: Record<string, string>, authorization: string, observable: Observable, answer: string): Promise<Split> {
  const dist = (file: string): string => pathToFileURL(path.join(root, 'dist', file)).href
  const { default: app } = await import(dist('app.js')) as typeof AppModule
  const { observeAnswer } = await import(dist('lib/answer.js')) as typeof AnswerModule

  const relay = Fastify({ logger: false })
  await relay.register(app, { env })
  let serialize: ((payload: unknown) => string) | undefined
  relay.addHook('onSend', (request, reply, payload, done) => {
    serialize = reply.getSerializationFunction('200') as (payload: unknown) => string
    done(null, payload)
  })
  try {
    const response = await relay.inject({
      method: 'POST',
      url: '/observe/observables',
      headers: { authorization, 'content-type': 'application/json' },
      payload: JSON.stringify([observable])
    })
    const body = response.json() as { data?: { sightings?: { count: number } }, errors?: unknown }
    if (serialize === undefined || body.errors !== undefined) throw new Error(`W5's in-process call failed: ${response.body.slice(0, 300)}`)
    const limit = Number(env.CTR_ENTITIES_LIMIT)
    const records = JSON.parse(answer) as unknown[]
    const mapped = observeAnswer([observable], [records], limit)
    const write = serialize
    return {
      parseMs: medianMs(() => JSON.parse(answer)),
      mapMs: medianMs(() => observeAnswer([observable], [records], limit)),
      // Fastify measures the string it sends (content-length), which flattens the serializer's concatenations
      serialiseMs: medianMs(() => Buffer.byteLength(write(mapped))),
      runs: RUNS,
      sightings: body.data?.sightings?.count ?? 0,
      answerBytes: response.rawPayload.length
    }
  } finally {
    await relay.close()
  }
}
