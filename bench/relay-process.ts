// The relay as the benchmark runs it: built by build-server.ts and listening as server.ts does, in
// its own process, configured by its environment. On the same Fastify instance, before it listens, the
// benchmark adds the ceiling route (W1's answer bytes from memory) and two counters.
import type { AddressInfo } from 'node:net'
import { PerformanceObserver } from 'node:perf_hooks'
import { buildServer } from '../build-server.js'
import { readConfig } from '../lib/config.js'
import { listen } from '../server.js'
import { serve } from './ipc.js'
import { startProfile, type ProfileSplit } from './profile.js'
import { LIMIT_PATH, type RelayReady, type RelayRequest, type RelayStats } from './protocol.js'

let limitBody = Buffer.alloc(0)
let stopProfile: (() => Promise<ProfileSplit>) | undefined
const stats: RelayStats = { calls: 0, errorAnswers: 0, gcMs: 0 }
new PerformanceObserver(list => { for (const entry of list.getEntries()) stats.gcMs += entry.duration }).observe({ entryTypes: ['gc'] })

const relay = await buildServer(readConfig(process.env))
relay.server.on('request', () => { stats.calls++ })
// read before serialising: a search of the serialised answer would add its own pass over every byte
relay.addHook('preSerialization', (request, reply, payload, done) => {
  if ((payload as { errors?: unknown }).errors !== undefined) stats.errorAnswers++
  done(null, payload)
})
relay.post(LIMIT_PATH, (request, reply) => {
  reply.type('application/json; charset=utf-8').send(limitBody)
})
await listen(relay)

process.on('disconnect', () => { relay.close().then(() => process.exit(0), () => process.exit(1)) })

serve<RelayRequest>({ port: (relay.server.address() as AddressInfo).port } satisfies RelayReady, async request => {
  if (request.op === 'limit') limitBody = Buffer.from(request.body)
  if (request.op === 'profile') stopProfile = await startProfile()
  if (request.op === 'profiled' && stopProfile !== undefined) return stopProfile()
  return { ...stats }
})
