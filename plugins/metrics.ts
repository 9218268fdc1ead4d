// fastify.metrics: Prometheus metrics of the relay (contract §5), counted always, served only
// when METRICS_PORT is set: on a second listener (METRICS_HOST, default HOST) that answers
// GET /metrics and nothing else, never on the relay's port, which Threat Response reaches. Each
// relay has its own registry. On Lambda, where no scraper could reach an instance, nothing is
// counted and prom-client is not even loaded: every new instance starts sooner.
import { createServer, type Server } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import fp from 'fastify-plugin'
import type { Registry } from 'prom-client'
import type { CacheKind } from '../clients/answer-cache.js'
import { callOutcome, envelopeOutcome, type EnvelopeOutcome } from '../lib/metric-labels.js'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: RelayMetrics
  }
  interface FastifyRequest {
    /** whether the envelope the reply serialised holds data, errors or both; null for a string, a buffer or a stream */
    envelopeOutcome: EnvelopeOutcome | null
  }
}

export interface RelayMetrics {
  /** undefined on Lambda, where nothing is counted */
  registry?: Registry
  /** one request to C1fApp that ended with `outcome` (lib/metric-labels.ts) after `seconds` */
  c1fappRequest: (outcome: string, seconds: number) => void
  cacheHit: (kind: CacheKind) => void
  cacheMiss: (kind: CacheKind) => void
  cacheError: (kind: CacheKind) => void
  /** adds to the open-breakers gauge, read at every scrape */
  watchOpenBreakers: (count: () => number) => void
  /** an answer cut to ANSWER_MAX_BYTES (contract §3.2): the routes call it when they cut */
  answerCut: () => void
  /** a C1fApp request the daily quota kept from leaving (contract §6) */
  quotaHeld: () => void
  /** a /health answered without asking C1fApp (contract §6) */
  healthUnprobed: () => void
  /** a call refused for its token (a missing, malformed, forged, expired or foreign one) */
  authorizationFailure: () => void
  /** where GET /metrics is served; undefined while not listening */
  address: () => AddressInfo | undefined
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60]

/** Lambda's: nothing counted, nothing served. */
const UNCOUNTED: RelayMetrics = {
  c1fappRequest: () => {},
  cacheHit: () => {},
  cacheMiss: () => {},
  cacheError: () => {},
  watchOpenBreakers: () => {},
  answerCut: () => {},
  quotaHeld: () => {},
  healthUnprobed: () => {},
  authorizationFailure: () => {},
  address: () => undefined
}

export default fp(async function metrics (fastify) {
  const config = fastify.config
  if (config.ON_LAMBDA) {
    fastify.decorate('metrics', UNCOUNTED)
    return
  }
  // tsx (tap's loader) wraps import() in an interop helper whose other branch no source line has
  /* c8 ignore next */
  const { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } = await import('prom-client')
  const registry = new Registry()
  const registers = [registry]
  collectDefaultMetrics({ register: registry })
  const calls = new Counter({ name: 'relay_calls_total', help: 'Relay calls answered, by route and outcome (ok, partial, error: the envelope; failure: a response action that failed; client_error, server_error: HTTP 4xx, 5xx)', labelNames: ['route', 'outcome'], registers })
  const callSeconds = new Histogram({ name: 'relay_call_duration_seconds', help: 'How long relay calls took, by route', labelNames: ['route'], buckets: DURATION_BUCKETS, registers })
  const upstream = new Counter({ name: 'relay_c1fapp_requests_total', help: 'Requests to C1fApp (retries included in one), by outcome: records, nothing found, or the error code', labelNames: ['outcome'], registers })
  const upstreamSeconds = new Histogram({ name: 'relay_c1fapp_request_duration_seconds', help: 'How long requests to C1fApp took, retries included, by outcome', labelNames: ['outcome'], buckets: DURATION_BUCKETS, registers })
  const hits = new Counter({ name: 'relay_cache_hits_total', help: "Lookups answered without asking C1fApp (from the cache, or by joining an identical lookup in flight), by the cache's kind", labelNames: ['kind'], registers })
  const misses = new Counter({ name: 'relay_cache_misses_total', help: "Lookups that asked C1fApp, by the cache's kind", labelNames: ['kind'], registers })
  const errors = new Counter({ name: 'relay_cache_errors_total', help: "Cache failures (connection attempts, reads, writes: unreachable, too slow, full, unreadable entries; with Redis, the daily quota's counters too), by the cache's kind", labelNames: ['kind'], registers })
  const cut = new Counter({ name: 'relay_answers_cut_total', help: 'Answers cut to ANSWER_MAX_BYTES', registers })
  const held = new Counter({ name: 'relay_quota_held_requests_total', help: "Requests to C1fApp that the daily quota kept from leaving (the key at its limit, or held back after C1fApp's 429)", registers })
  const unprobed = new Counter({ name: 'relay_health_unprobed_total', help: '/health answers given without asking C1fApp (the key answered within HEALTH_TRUST_S, or at its limit)', registers })
  const refused = new Counter({ name: 'relay_authorization_failures_total', help: 'Calls refused for their token (missing, malformed, wrongly signed, expired, or naming a jwks_host or audience that is not this relay\'s)', registers })
  const breakerCounts: Array<() => number> = []
  new Gauge({ name: 'relay_circuit_breakers_open', help: 'C1fApp keys whose circuit breaker is open (their lookups are refused at once)', registers, collect () { this.set(breakerCounts.reduce((sum, count) => sum + count(), 0)) } }) // eslint-disable-line no-new
  for (const kind of ['memory', 'redis']) {
    hits.inc({ kind }, 0)
    misses.inc({ kind }, 0)
    errors.inc({ kind }, 0)
  }
  cut.inc(0)
  held.inc(0)
  unprobed.inc(0)
  refused.inc(0)

  // The envelope is read before it is serialised (only what it says is kept: holding the answer
  // itself until the call ends would keep its thousands of objects alive past young collections);
  // the call is counted once the answer is ready to go. Callback hooks: an async one costs a
  // promise a call.
  fastify.decorateRequest('envelopeOutcome', null)
  fastify.addHook('preSerialization', (request, reply, payload, done) => {
    request.envelopeOutcome = envelopeOutcome(payload)
    done(null, payload)
  })
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const route = request.routeOptions.url ?? 'unmatched'
    calls.inc({ route, outcome: callOutcome(reply.statusCode, request.envelopeOutcome) })
    callSeconds.observe({ route }, reply.elapsedTime / 1000)
    done(null, payload)
  })

  let server: Server | undefined
  if (config.METRICS_PORT !== undefined) {
    const listener = createServer((req, res) => {
      if (req.method !== 'GET' || req.url !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found')
        return
      }
      registry.metrics().then(text => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        /* c8 ignore next */ (error: Error) => res.writeHead(500).end(error.message))
    })
    fastify.addHook('onReady', async () => {
      listener.listen(config.METRICS_PORT, config.METRICS_HOST ?? config.HOST)
      await once(listener, 'listening')
      server = listener
      fastify.log.info({ address: listener.address() }, 'metrics served at GET /metrics')
    })
    fastify.addHook('onClose', async () => {
      server = undefined
      listener.closeAllConnections()
      await new Promise(resolve => listener.close(resolve))
    })
  }

  fastify.decorate('metrics', {
    registry,
    c1fappRequest: (outcome: string, seconds: number) => {
      upstream.inc({ outcome })
      upstreamSeconds.observe({ outcome }, seconds)
    },
    cacheHit: (kind: CacheKind) => hits.inc({ kind }),
    cacheMiss: (kind: CacheKind) => misses.inc({ kind }),
    cacheError: (kind: CacheKind) => errors.inc({ kind }),
    watchOpenBreakers: (count: () => number) => { breakerCounts.push(count) },
    answerCut: () => cut.inc(),
    quotaHeld: () => held.inc(),
    healthUnprobed: () => unprobed.inc(),
    authorizationFailure: () => refused.inc(),
    address: () => server?.address() as AddressInfo | undefined
  })
}, { name: 'metrics', fastify: '5.x', dependencies: ['config'] })
