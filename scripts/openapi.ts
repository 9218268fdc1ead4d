// `npm run openapi`: writes openapi.yaml from the route schemas (test/plugins/documentation.test.ts keeps it current).
import { writeFileSync } from 'node:fs'
import { buildServer } from '../build-server.js'
import { readConfig } from '../lib/config.js'

// Any secret will do: the description depends on the schemas and the default limits only.
const server = await buildServer(readConfig({ SECRET_KEY: 'openapi-generation-needs-no-real-secret' }), false)
await server.ready()
writeFileSync(new URL('../openapi.yaml', import.meta.url), server.swagger({ yaml: true }))
await server.close()
