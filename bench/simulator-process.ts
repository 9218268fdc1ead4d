// The C1fApp simulator in its own process for the benchmark, scripted by the runner over IPC.
// It counts the requests it received (the upstream calls the relay made), and keeps only the count.
import { startSimulator } from '../simulator/server.js'
import { serve } from './ipc.js'
import type { SimulatorReady, SimulatorRequest } from './protocol.js'

const simulator = await startSimulator()
let counted = 0

/** Requests received so far; the simulator's own list would keep every request's headers and body. */
function count (): number {
  counted += simulator.requests.length
  simulator.requests.length = 0
  return counted
}
setInterval(count, 250).unref()

process.on('disconnect', () => { simulator.close().then(() => process.exit(0), () => process.exit(1)) })

serve<SimulatorRequest>({ url: simulator.url } satisfies SimulatorReady, request => {
  if (request.op === 'script') simulator.script(request.request, request.answer)
  if (request.op === 'unscript') {
    count()
    simulator.reset()
  }
  return count()
})
