// The C1fApp client: observable values → C1fApp's records, or a RelayError (contract §2), as a
// factory a test can use without Fastify (plugins/c1fapp.ts decorates the relay with it).
// Upstream calls are the user's daily quota: each value once per call, answers cached per key,
// retries only where they are safe (connection errors, 5xx) and within one deadline per call.
import { createHash } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyBaseLogger } from 'fastify'
import got, { Options, type Request } from 'got'
import pLimit from 'p-limit'
import { answerTooLarge, callBudgetPassed, deadlineError, readAnswer, transportError } from '../lib/c1fapp/answer.js'
import { CircuitBreaker } from '../lib/c1fapp/circuit-breaker.js'
import { readRecords, type RecordsRead } from '../lib/c1fapp/record.js'
import type { RelayConfig } from '../lib/config.js'
import { c1fappOutcome } from '../lib/metric-labels.js'
import type { Observable } from '../lib/observables.js'
import type { Outcome } from '../lib/relay-answer.js'
import { RelayError } from '../lib/relay-error.js'
import { isReached, quotaReached, quotaValues, type QuotaValues } from '../lib/quota.js'
import { NO_CACHE, type AnswerCache } from './answer-cache.js'
import { Deadline } from './deadline.js'
import { createDailyQuota, type DailyQuota } from './quota.js'

export interface C1fAppClient {
  /**
   * /health's check of the key (contract §6): its quota today, after asking C1fApp about `value`
   * (no cache: /health must see the key's real state) unless C1fApp answered the key within
   * HEALTH_TRUST_S or the key is at its limit; throws the probe's RelayError.
   */
  health: (key: string, dailyLimit: number | undefined, value: string) => Promise<QuotaValues>
  /**
   * Every observable's records, read, or RelayError, in order: concurrently (at most C1FAPP_CONCURRENCY
   * at once), each distinct value once (C1fApp is asked for the value, whatever its type), from
   * the cache when it has them, all within one C1FAPP_DEADLINE_MS, and none past the key's
   * `dailyLimit` (contract §6: the lookups it holds back share one `too many requests` error).
   * Failures are logged to `log` (the request's logger).
   */
  lookupEach: (key: string, observables: Observable[], log: FastifyBaseLogger, dailyLimit?: number) => Promise<Outcome[]>
  /** closes the keep-alive connections */
  close: () => void
}

/** What the client counts (plugins/metrics.ts). */
export interface C1fAppMetrics {
  /** one request to C1fApp that ended with `outcome` (lib/metric-labels.ts) after `seconds` */
  c1fappRequest: (outcome: string, seconds: number) => void
  /** the open breakers, read at every scrape */
  watchOpenBreakers: (count: () => number) => void
  /** a request the daily quota kept from leaving */
  quotaHeld: () => void
  /** a /health answered without asking C1fApp */
  healthUnprobed: () => void
}

const NO_METRICS: C1fAppMetrics = { c1fappRequest: () => {}, watchOpenBreakers: () => {}, quotaHeld: () => {}, healthUnprobed: () => {} }

/** The first retry waits about this long, each further one twice as long (with jitter). */
export const RETRY_BASE_MS = 200

const RETRY_STATUSES = new Set([500, 502, 503, 504, 521, 522, 524])
const RETRY_ERRORS = new Set(['ETIMEDOUT', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'ENETUNREACH', 'EAI_AGAIN'])
/**
 * got(url, options, defaults): the third argument, which got's own pagination uses, starts from
 * an Options instance as it is instead of merging every option again; got's types leave it out.
 */
export const requestWith = got as unknown as (url: undefined, options: { body: string }, defaults: Options) => Request

/**
 * Every C1fApp request's options, built and checked once: a request adds only its body (the
 * call's deadline is the client's own, clients/deadline.ts). The stream API, read by hand: no
 * per-request progress listener. Retries are the client's own (got's are off), so each waits
 * within the call's deadline. No `timeout` option: it listens to every phase of every request (a
 * tenth of the W2 bench's CPU went to it and the garbage it leaves).
 */
export function c1fappRequestOptions (url: string, agent: { http: http.Agent, https?: https.Agent }): Options {
  return new Options(url, {
    method: 'POST',
    isStream: true,
    agent,
    // A followed redirect would carry the user's key to another host.
    followRedirect: false,
    throwHttpErrors: false,
    retry: { limit: 0 },
    headers: { 'user-agent': 'c1fapp-relay (Cisco Threat Response relay)', 'content-type': 'application/json' }
  })
}
/** What one POST received. */
interface Sent { status: number, retryAfter: string | undefined, body: string }
/** send's rejection for an answer past C1FAPP_MAX_ANSWER_BYTES */
const TOO_LARGE = new Error('too large')
/** send's rejection for an answer that would take its call past C1FAPP_CALL_MAX_BYTES */
const OVER_BUDGET = new Error('over the call\'s budget')
/** a lookup's outcome past C1FAPP_CALL_MAX_BYTES: lookupEach replaces it with one warning that counts them */
const NOT_READ = new RelayError('too many entities', 'not read: past C1FAPP_CALL_MAX_BYTES', 'warning')
/** send's rejection for a request still in flight when the call's deadline passes */
const DEADLINE_PASSED = new Error('deadline passed')
/** send's rejection for a request past C1FAPP_TIMEOUT_MS: a connection error, repeated as got's own timeout would be */
const TIMED_OUT = Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })

/** Caches, breakers and quotas know a user by a hash of the key, never the key itself. */
function keyHash (key: string): string {
  return createHash('sha256').update(key).digest('base64url')
}

/**
 * A lookup the daily quota held back (contract §6): at the limit, or after C1fApp's 429
 * (`asked`: a request left and C1fApp refused it). lookupEach and health turn it into the one
 * error the bucket gives (lib/quota.ts).
 */
class QuotaHeld extends RelayError {
  constructor (readonly asked: boolean) {
    super('too many requests', 'held back by the daily quota')
  }
}

/**
 * The C1fApp bytes one call holds, at most C1FAPP_CALL_MAX_BYTES (contract §3.2): every answer it
 * reads counts, from C1fApp (as it arrives) or from the shared cache. Once it is passed, nothing
 * more is read for the call.
 */
class CallBytes {
  used = 0
  passed = false
  constructor (readonly max: number) {}

  /** `bytes` more, unless they would pass the budget: then false, and the call has passed it */
  take (bytes: number): boolean {
    if (this.passed || this.used + bytes > this.max) {
      this.passed = true
      return false
    }
    this.used += bytes
    return true
  }

  /** `bytes` already held (read from the shared cache): counted, even past the budget */
  add (bytes: number): void {
    this.used += bytes
    if (this.used > this.max) this.passed = true
  }
}

/**
 * One value asked for one call: `id` is the key's hash, `quotaId` its day's (the endpoint's too);
 * `bytes` what the call's answers hold.
 */
interface Query { key: string, id: string, quotaId: string, dailyLimit: number | undefined, value: string, deadline: Deadline, bytes: CallBytes }

/** The client of `config`; it logs breaker openings to `log`, reads and keeps answers in `cache`, counts into `metrics`. */
export function createC1fAppClient (
  config: RelayConfig,
  log: FastifyBaseLogger,
  { cache = NO_CACHE, metrics = NO_METRICS, quota = createDailyQuota(config) }: { cache?: AnswerCache, metrics?: C1fAppMetrics, quota?: DailyQuota } = {}
): C1fAppClient {
  // Keep-alive with a bounded pool: calls reuse warm connections instead of a TLS handshake each.
  const agent = {
    http: new http.Agent({ keepAlive: true, maxSockets: config.C1FAPP_MAX_SOCKETS }),
    https: new https.Agent({ keepAlive: true, maxSockets: config.C1FAPP_MAX_SOCKETS })
  }
  // A body past C1FAPP_MAX_ANSWER_BYTES is refused on its content-length or while it arrives (send),
  // never buffered; C1FAPP_TIMEOUT_MS is one timer per request in send.
  const options = c1fappRequestOptions(config.C1FAPP_API_URL, agent)
  const maxBytes = config.C1FAPP_MAX_ANSWER_BYTES
  const breaker = new CircuitBreaker(config.C1FAPP_BREAKER_FAILURES, config.C1FAPP_BREAKER_COOLDOWN_S * 1000,
    error => log.warn({ code: error.code, cooldownS: config.C1FAPP_BREAKER_COOLDOWN_S }, 'circuit breaker opened: one key\'s C1fApp requests pause'))

  /** One POST: its status, Retry-After and body text; rejects with got's error, TOO_LARGE, OVER_BUDGET, TIMED_OUT or DEADLINE_PASSED. */
  function send (body: string, deadline: Deadline, bytes: CallBytes): Promise<Sent> {
    return new Promise((resolve, reject) => {
      const request = requestWith(undefined, { body }, options)
      const chunks: Buffer[] = []
      let size = 0
      /** what the answer's content-length took from the call's budget at once */
      let reserved = 0
      let status = 0
      let retryAfter: string | undefined
      const fail = (error: Error): void => {
        clearTimeout(timer)
        settled()
        request.destroy()
        reject(error)
      }
      const refuse = (): void => fail(TOO_LARGE)
      const timer = setTimeout(fail, config.C1FAPP_TIMEOUT_MS, TIMED_OUT)
      const settled = deadline.watch(() => fail(DEADLINE_PASSED))
      request.once('response', (response: { statusCode: number, headers: Record<string, string | undefined> }) => {
        status = response.statusCode
        retryAfter = response.headers['retry-after']
        const length = Number(response.headers['content-length'])
        if (length > maxBytes) refuse()
        // an answer that says its size is read whole or not at all; one that does not is counted as it comes
        else if (length > 0 && !bytes.take(length)) fail(OVER_BUDGET)
        else if (length > 0) reserved = length
      })
      request.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > maxBytes) refuse()
        else if (size > reserved && !bytes.take(Math.min(chunk.length, size - reserved))) fail(OVER_BUDGET)
        else chunks.push(chunk)
      })
      request.once('end', () => {
        clearTimeout(timer)
        settled()
        // as got's promise API does: frees the request now
        request.destroy()
        resolve({ status, retryAfter, body: Buffer.concat(chunks, size).toString() })
      })
      request.once('error', fail)
    })
  }

  /** C1fApp's answer for the value: its records, read, and the body they were read from. */
  async function ask ({ key, id, quotaId, dailyLimit, value, deadline, bytes }: Query): Promise<{ read: RecordsRead, body: string }> {
    const open = breaker.check(id, Date.now())
    if (open !== undefined) throw open
    if (deadline.passed || deadline.at <= Date.now()) throw deadlineError(config.C1FAPP_DEADLINE_MS)
    const body = JSON.stringify({ key, format: 'json', backend: 'es', request: value })
    let response: Sent | undefined
    let failed: unknown
    for (let attempt = 1; ; attempt++) {
      // Every request is the user's quota: counted before it leaves, and none past the limit. A
      // retry the quota holds back leaves the last answer or failure standing.
      if (!await quota.take(quotaId, dailyLimit)) {
        metrics.quotaHeld()
        if (attempt === 1) throw new QuotaHeld(false)
        break
      }
      // A C1fApp query only reads, so a POST is safe to repeat; 4xx and 429 are never repeated
      // (429 would spend more of the quota). Full jitter, and never a wait that would end past the deadline.
      const delay = RETRY_BASE_MS * 2 ** (attempt - 1) * (0.5 + Math.random() / 2)
      const retry = attempt <= config.C1FAPP_RETRIES && Date.now() + delay < deadline.at
      try {
        response = await send(body, deadline, bytes)
        failed = undefined
        if (!retry || !RETRY_STATUSES.has(response.status)) break
      } catch (error) {
        if (error === TOO_LARGE) throw answerTooLarge(maxBytes)
        if (error === OVER_BUDGET) throw NOT_READ
        response = undefined
        failed = error
        if (deadline.passed || !retry || !RETRY_ERRORS.has(String((error as { code?: string }).code))) break
      }
      await sleep(delay)
    }
    if (response === undefined) {
      const failure = deadline.passed
        ? deadlineError(config.C1FAPP_DEADLINE_MS)
        : transportError(failed as { code?: string, message: string }, config.C1FAPP_TIMEOUT_MS)
      breaker.failure(id, failure, Date.now())
      throw failure
    }
    if (response.status === 429) {
      // C1fApp's own word that the key's quota is spent (contract §6): no request until it may be
      // spent again, in every replica that shares the Redis
      await quota.hold(quotaId, response.retryAfter)
      throw new QuotaHeld(true)
    }
    try {
      // Parsed and read in one step: the parsed answer's dozens of objects a record are garbage
      // before the call awaits anything else, and only the few a record that it keeps wait.
      const read = readRecords(readAnswer(response.status, response.body, key), cache.keepsReads)
      breaker.success(id)
      quota.accepted(quotaId)
      return { read, body: response.body }
    } catch (error) {
      const { code } = error as RelayError
      if (response.status >= 500) breaker.failure(id, error as RelayError, Date.now())
      else breaker.success(id)
      if (code === 'unauthorized' || code === 'forbidden') quota.refused(quotaId)
      throw error
    }
  }

  // Every request to C1fApp is counted with its outcome and duration; a lookup the breaker, the
  // deadline or the quota refuses before asking is none.
  async function measured (query: Query): Promise<{ read: RecordsRead, body: string }> {
    if (breaker.check(query.id, Date.now()) !== undefined || query.deadline.at <= Date.now()) return ask(query)
    const started = performance.now()
    const seconds = (): number => (performance.now() - started) / 1000
    try {
      const answer = await ask(query)
      metrics.c1fappRequest(c1fappOutcome(answer.read.received), seconds())
      return answer
    } catch (error) {
      if (!(error instanceof QuotaHeld) || error.asked) metrics.c1fappRequest(c1fappOutcome(error as RelayError), seconds())
      throw error
    }
  }
  metrics.watchOpenBreakers(() => breaker.openCount(Date.now()))

  // C1fApp's answers are cached, known by a hash of the key and the value. The in-process cache
  // keeps the records read from an answer (and lib/ctim/bundle.ts what it writes from them), so a
  // call answered from it neither parses nor maps them again; the shared cache keeps the answer's
  // text, read again by every call that uses it.
  async function cached (query: Query): Promise<RecordsRead> {
    if (query.bytes.passed) throw NOT_READ
    const name = (): string => createHash('sha256').update(query.id).update('\u0000').update(query.value).digest('base64url')
    // The call that asked C1fApp uses the records ask read; the others read the kept body, which
    // was read as an answer once already (status and shape): it can only give records, unless a
    // shared cache holds garbage, which readAnswer refuses and the cache then replaces.
    let asked: RecordsRead | undefined
    // A kept body read for this call is the call's from then on, counted once: the shared cache
    // reads an entry twice (to check it, then for the call).
    let counted = false
    const readKept = (body: string): RecordsRead => {
      if (!counted) query.bytes.add(Buffer.byteLength(body))
      counted = true
      return readRecords(readAnswer(200, body, query.key), cache.keepsReads)
    }
    return cache.fetch(name, async () => {
      const answer = await measured(query)
      asked = answer.read
      return answer.body
    }, body => asked ?? readKept(body))
  }

  /** The key's day: one for each C1fApp endpoint (a staging relay on a simulator spends no real quota). */
  const quotaIdOf = (key: string): string => keyHash(`${config.C1FAPP_API_URL}\u0000${key}`)

  async function health (key: string, dailyLimit: number | undefined, value: string): Promise<QuotaValues> {
    const quotaId = quotaIdOf(key)
    // A key at its limit is ok, with its bucket reached; one C1fApp answered lately is ok as it was.
    if (isReached(await quota.bucket(quotaId, dailyLimit)) || await quota.trusted(quotaId)) {
      metrics.healthUnprobed()
    } else {
      const deadline = new Deadline(Date.now() + config.C1FAPP_DEADLINE_MS)
      try {
        await measured({ key, id: keyHash(key), quotaId, dailyLimit, value, deadline, bytes: new CallBytes(config.C1FAPP_CALL_MAX_BYTES) })
      } catch (error) {
        if (!(error instanceof QuotaHeld)) throw error
      } finally {
        deadline.clear()
      }
    }
    return quotaValues(await quota.bucket(quotaId, dailyLimit))
  }

  async function lookupEach (key: string, observables: Observable[], log: FastifyBaseLogger, dailyLimit?: number): Promise<Outcome[]> {
    const deadline = new Deadline(Date.now() + config.C1FAPP_DEADLINE_MS)
    const id = keyHash(key)
    const quotaId = quotaIdOf(key)
    const limit = pLimit(config.C1FAPP_CONCURRENCY)
    const pending = new Map<string, Promise<Outcome>>()
    const bytes = new CallBytes(config.C1FAPP_CALL_MAX_BYTES)
    for (const { type, value } of observables) {
      if (pending.has(value)) continue
      // ask fails only with a RelayError: transportError and readAnswer say why. It goes into the
      // answer, not to the error handler, so it is logged here for the module owner, with the
      // call's reqId (the request's logger) and the observable's type, never its value (C1fApp's
      // text may echo it) or the key (readAnswer has blanked it).
      pending.set(value, limit(() => cached({ key, id, quotaId, dailyLimit, value, deadline, bytes })).catch((error: RelayError) => {
        if (error === NOT_READ) return error
        if (!(error instanceof QuotaHeld)) log.warn({ code: error.code, reason: error.message.replaceAll(value, '<value>'), observableType: type }, 'C1fApp lookup failed')
        return error
      }))
    }
    let outcomes: Outcome[]
    try {
      outcomes = await Promise.all(observables.map(({ value }) => pending.get(value) as Promise<Outcome>))
    } finally {
      deadline.clear()
    }
    const notRead = outcomes.filter(outcome => outcome === NOT_READ).length
    if (notRead > 0) {
      log.info({ notRead, maxBytes: config.C1FAPP_CALL_MAX_BYTES }, 'C1fApp answers of one call passed C1FAPP_CALL_MAX_BYTES')
      const warning = callBudgetPassed(notRead, config.C1FAPP_CALL_MAX_BYTES, outcomes.some(outcome => !(outcome instanceof RelayError)))
      outcomes = outcomes.map(outcome => outcome === NOT_READ ? warning : outcome)
    }
    const held = outcomes.filter(outcome => outcome instanceof QuotaHeld).length
    if (held === 0) return outcomes
    // one error for every lookup held back, in the words of the key's bucket once they all ended
    const error = quotaReached(await quota.bucket(quotaId, dailyLimit))
    log.warn({ code: error.code, reason: error.message, held }, 'C1fApp lookups held back by the daily quota')
    return outcomes.map(outcome => outcome instanceof QuotaHeld ? error : outcome)
  }

  function close (): void {
    agent.http.destroy()
    agent.https.destroy()
  }

  return { health, lookupEach, close }
}
