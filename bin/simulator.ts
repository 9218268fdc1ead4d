// Runs the C1fApp simulator on its own, for local trials: point the relay's C1fApp URL at it.
import { DEMO_API_KEY, startSimulator } from '../simulator/server.js'
import { DEMO_OBSERVABLES } from '../simulator/dataset.js'

const simulator = await startSimulator({
  host: process.env.HOST || '127.0.0.1',
  port: Number(process.env.PORT || 8080)
})

console.log(`C1fApp simulator listening on ${simulator.url}`)
console.log(`API key: ${DEMO_API_KEY}`)
for (const { type, value } of DEMO_OBSERVABLES) {
  const body = JSON.stringify({ key: DEMO_API_KEY, format: 'json', backend: 'es', request: value })
  console.log(`  ${type}: curl -s ${simulator.url} -H 'Content-Type: application/json' -d '${body}'`)
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { simulator.close().then(() => process.exit(0), () => process.exit(1)) })
}
