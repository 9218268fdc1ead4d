// The relay as `npm run soak` runs it: built and listening as server.ts does, in a process of its own (so its memory
// is its own), started with --expose-gc. It tells its parent where it listens, and answers
// "memory" with its usage after a full garbage collection.
import type { AddressInfo } from 'node:net'
import { buildServer } from '../build-server.js'
import { readConfig } from '../lib/config.js'
import { listen } from '../server.js'

const relay = await listen(await buildServer(readConfig(process.env)))
const { port } = relay.server.address() as AddressInfo
process.send?.({ listening: `http://127.0.0.1:${port}` })

process.on('message', message => {
  if (message !== 'memory') return
  // a figure after a full collection measures what is kept, not what is merely not yet collected
  globalThis.gc?.()
  process.send?.({ memory: process.memoryUsage() })
})
// the IPC channel must not keep the relay alive once SIGTERM has closed it
process.channel?.unref()
