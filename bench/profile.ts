// Where the relay's CPU goes, from V8's sampling profiler in the relay process itself: the W5
// split as the relay lives it (the in-process timing of bench/split.ts runs the same code hot in a
// loop, with warm caches, and so reads lower).
import { Session } from 'node:inspector/promises'
import type { Profiler, Runtime } from 'node:inspector'

export interface ProfileSplit {
  /** milliseconds of samples: all, idle (waiting for I/O), and the two steps of the W5 target */
  totalMs: number
  idleMs: number
  mappingMs: number
  serialisingMs: number
  /** V8's collector on the main thread */
  gcMs: number
  /** got: building, sending and reading the C1fApp requests (the sockets' own work included) */
  gotMs: number
  /** lib/c1fapp/answer.ts's readAnswer (JSON.parse of C1fApp's answers and their checks) and lib/c1fapp/record.ts's readRecords */
  parseMs: number
}

type Frame = Runtime.CallFrame

/** lib/relay-answer.ts's observeAnswer: reading the records and lib/ctim's mapping */
const isMapping = (frame: Frame): boolean => frame.functionName === 'observeAnswer' && frame.url.endsWith('/lib/relay-answer.js')

/**
 * The route's serializer (called by Fastify's reply: fast-json-stringify, or the observe route's JSON.stringify), and Fastify's
 * Buffer.byteLength of the string it returns before sending (which flattens its concatenations).
 */
function isSerialising (stack: Frame[]): boolean {
  return stack.some((frame, i) => frame.url.includes('/fast-json-stringify/') ||
    (frame.functionName === 'serialize' && frame.url.includes('/fastify/lib/reply.js')) ||
    (frame.functionName === 'byteLength' && stack[i + 1]?.functionName === 'onSendEnd'))
}

export function splitProfile (profile: Profiler.Profile): ProfileSplit {
  const nodes = new Map(profile.nodes.map(node => [node.id, node]))
  const parents = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id)
  const split: ProfileSplit = { totalMs: 0, idleMs: 0, mappingMs: 0, serialisingMs: 0, gcMs: 0, gotMs: 0, parseMs: 0 }
  const deltas = profile.timeDeltas ?? []
  for (const [i, sample] of (profile.samples ?? []).entries()) {
    const ms = (deltas[i] ?? 0) / 1000
    const stack: Frame[] = []
    for (let id: number | undefined = sample; id !== undefined; id = parents.get(id)) stack.push((nodes.get(id) as Profiler.ProfileNode).callFrame)
    split.totalMs += ms
    if (stack[0].functionName === '(idle)') split.idleMs += ms
    else if (stack[0].functionName === '(garbage collector)') split.gcMs += ms
    else if (stack.some(frame => frame.functionName === 'readAnswer' || frame.functionName === 'readRecords')) split.parseMs += ms
    else if (stack.some(isMapping)) split.mappingMs += ms
    else if (isSerialising(stack)) split.serialisingMs += ms
    else if (stack.some(frame => frame.url.includes('/node_modules/got/'))) split.gotMs += ms
  }
  return split
}

/** Starts V8's profiler in this process; the returned function stops it and splits what it saw. */
export async function startProfile (): Promise<() => Promise<ProfileSplit>> {
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  return async () => {
    const { profile } = await session.post('Profiler.stop')
    session.disconnect()
    return splitProfile(profile)
  }
}
