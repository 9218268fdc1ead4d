// W5's split: how long the relay's own work on 1 000 records takes, timed in one process (a child
// of the runner that runs the built code under plain node, as the relay does): parsing C1fApp's
// answer, mapping it to CTIM (lib/relay-answer.ts → lib/ctim) and serialising the answer with the
// observe route's own serializer (lib/relay-answer.ts's answerSerializer, as the route compiles it), to
// set against the measured latency of the call.
import { performance } from 'node:perf_hooks'
import { buildServer } from '../build-server.js'
import { readConfig } from '../lib/config.js'
import { answerSent } from '../lib/ctim/observe-bytes.js'
import { observeAnswer } from '../lib/relay-answer.js'
import type { Observable } from './data.js'
import { readRecords } from '../lib/c1fapp/record.js'

export interface Split {
  /** JSON.parse of C1fApp's answer */
  parse: Timing
  /** lib/relay-answer.ts's observeAnswer: reading the records, lib/ctim's mapping, the envelope */
  map: Timing
  /** the route's serializer: the answer's bytes as Fastify sends them */
  serialise: Timing
  runs: number
  sightings: number
  answerBytes: number
}

const RUNS = 100
// the relay runs this code hot; fewer warm runs measure the JIT compiler, not the code
const WARM_RUNS = 50

export interface Timing {
  /** milliseconds, the median of the runs */
  wallMs: number
  /** this process's CPU milliseconds (GC threads included), the median of the runs: less sensitive to a busy machine */
  cpuMs: number
}

function median (values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
}

function time (work: () => unknown): Timing {
  for (let i = 0; i < WARM_RUNS; i++) work()
  const wall: number[] = []
  const cpu: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const cpuBegin = process.cpuUsage()
    const begin = performance.now()
    work()
    wall.push(performance.now() - begin)
    const { user, system } = process.cpuUsage(cpuBegin)
    cpu.push((user + system) / 1000)
  }
  return { wallMs: median(wall), cpuMs: median(cpu) }
}

export interface SplitRequest {
  /** configures an in-process relay (the same app) whose observe route gives its serializer */
  env: Record<string, string>
  authorization: string
  observable: Observable
  /** C1fApp's answer for `observable`, as the simulator serves it */
  answer: string
}

/**
 * Times parsing and mapping first, then answers one call in-process (C1fApp is the simulator) to
 * get the route's serializer, then times serialising. In that order on purpose: once the route has
 * mapped records of its own, the mapping's code has seen two callers and runs about twice as slow
 * in the timing loop as it does in the relay, which only ever has the one.
 */
export async function timeSplit ({ env, authorization, observable, answer }: SplitRequest): Promise<Split> {
  const limit = Number(env.CTR_ENTITIES_LIMIT)
  const records = JSON.parse(answer) as unknown[]
  const parse = time(() => JSON.parse(answer))
  // The route's options: the call's time, and the defaults of JUDGEMENT_VALID_DAYS and ANSWER_MAX_BYTES.
  const options = { limit, now: Date.now(), validDays: 7, maxBytes: 5000000 }
  // the answer's memory goes back as the relay gives it back once the answer is sent: lent again
  // on the next run, not allocated anew
  const map = time(() => {
    const { answer } = observeAnswer([observable], [readRecords(records)], options)
    if (answer.data !== undefined) answerSent(answer.data)
  })

  const relay = await buildServer(readConfig(env), false)
  let serialize: ((payload: unknown) => string | Buffer) | undefined
  relay.addHook('onSend', (request, reply, payload, done) => {
    serialize = reply.getSerializationFunction('200') as (payload: unknown) => string | Buffer
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
    const mapped = observeAnswer([observable], [readRecords(records)], options).answer
    const write = serialize
    return {
      parse,
      map,
      serialise: time(() => write(mapped)),
      runs: RUNS,
      sightings: body.data?.sightings?.count ?? 0,
      answerBytes: response.rawPayload.length
    }
  } finally {
    await relay.close()
  }
}
