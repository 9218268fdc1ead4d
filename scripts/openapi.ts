// `npm run openapi`: writes openapi.yaml from the route schemas (test/plugins/documentation.test.ts keeps it current).
import { writeFileSync } from 'node:fs'
import Fastify from 'fastify'
import app from '../app.js'

const server = Fastify({ logger: false })
// Any secret will do: the description depends on the schemas and the default limits only.
await server.register(app, { env: { SECRET_KEY: 'openapi-generation-needs-no-real-secret' } })
await server.ready()
writeFileSync(new URL('../openapi.yaml', import.meta.url), server.swagger({ yaml: true }))
await server.close()
