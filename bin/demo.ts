// `npm run demo`: the C1fApp simulator and the relay pointed at it, with a ready token and the
// curl lines that make the relay answer real CTIM. Nothing leaves this machine.
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { createSigner } from 'fast-jwt'
import { buildServer } from '../build-server.js'
import { readConfig } from '../lib/config.js'
import { startFailure } from './start-failure.js'
import { listen } from '../server.js'
import { DEMO_OBSERVABLES } from '../simulator/dataset.js'
import { DEMO_API_KEY, startSimulator } from '../simulator/server.js'

/** A port taken or unusable: one line with the variable to set, exit 1; anything else is a bug. */
async function orStop<T> (starting: Promise<T>, variable: string, example: string, cleanUp?: () => Promise<void>): Promise<T> {
  try {
    return await starting
  } catch (error) {
    const line = startFailure(error, variable, example)
    if (line === undefined) throw error
    console.error(line)
    await cleanUp?.()
    process.exit(1)
  }
}

/** The smallest of C1fApp's plans: the simulator keeps to it, and the token says so (contract §6). */
const DEMO_DAILY_LIMIT = 50

const secretKey = randomBytes(32).toString('hex')
const simulator = await orStop(startSimulator({ port: Number(process.env.SIMULATOR_PORT ?? 0) }), 'SIMULATOR_PORT', 'SIMULATOR_PORT=8080 npm run demo')
simulator.dailyLimit(DEMO_API_KEY, DEMO_DAILY_LIMIT)
/** The relay on the simulator, listening; it closes the simulator when it closes. */
async function start (env: Record<string, string>) {
  const relay = await buildServer(readConfig(env))
  relay.addHook('onClose', () => simulator.close())
  return listen(relay)
}
const relay = await orStop(start({
  SECRET_KEY: secretKey,
  C1FAPP_API_URL: simulator.url,
  PORT: process.env.PORT ?? '3000',
  HOST: '127.0.0.1',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn'
}), 'PORT', 'PORT=3001 npm run demo', () => simulator.close())

const { port } = relay.server.address() as AddressInfo
const base = `http://127.0.0.1:${port}`
// A module's settings travel in its token: the key, the plan's daily limit (as `c1fapp-relay jwt
// --daily-limit 50` writes it), and in the second token C1FAPP_SIGHTINGS per-feed
const sign = createSigner({ key: secretKey, algorithm: 'HS256' })
const settings = { key: DEMO_API_KEY, C1FAPP_DAILY_LIMIT: DEMO_DAILY_LIMIT }
const perFeedSettings = { ...settings, C1FAPP_SIGHTINGS: 'per-feed' }
const jwt = sign(settings)
const perFeedJwt = sign(perFeedSettings)
const body = JSON.stringify(DEMO_OBSERVABLES)

console.log(`C1fApp simulator  ${simulator.url}  (its key: ${DEMO_API_KEY})
C1fApp relay      ${base}  (OpenAPI: ${base}/documentation)

SECRET_KEY=${secretKey}
JWT=${jwt}
  module settings ${JSON.stringify(settings)}: a sighting per C1fApp record, at most ${DEMO_DAILY_LIMIT} requests a day (/health shows the day's count)
PER_FEED_JWT=${perFeedJwt}
  module settings ${JSON.stringify(perFeedSettings)}: a sighting per feed
  (c1fapp-relay jwt --sightings per-feed, or the module form's Sightings field)

curl -s -X POST ${base}/health -H "Authorization: Bearer ${jwt}"
curl -s -X POST ${base}/observe/observables -H "Authorization: Bearer ${jwt}" -H 'Content-Type: application/json' -d '${body}'
curl -s -X POST ${base}/observe/observables -H "Authorization: Bearer ${perFeedJwt}" -H 'Content-Type: application/json' -d '${body}'
curl -s -X POST ${base}/deliberate/observables -H "Authorization: Bearer ${jwt}" -H 'Content-Type: application/json' -d '${body}'

Ctrl-C stops both.`)
