// An observe answer is written into memory lent for it (lib/ctim/observe-bytes.ts) and given back
// once its last byte is handed to the socket: over real sockets, a client that reads slowly keeps
// its answer's memory, and the answers written meanwhile go elsewhere.
import { request, type IncomingMessage } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { keptBytes } from '../../lib/ctim/observe-bytes.js'
import { records } from '../support/answer-size.js'
import { bearer, buildRelay, PLAIN_UPSTREAM } from '../helper.js'

const RECORDS = 1000
const observables = (name: string) => Array.from({ length: 6 }, (_, i) => ({ type: 'domain', value: `${name}${i}.example` }))

/** POSTs to the listening relay; the answer's body is left unread until the caller reads it. */
async function observe (base: string, body: unknown): Promise<IncomingMessage> {
  return await new Promise((resolve, reject) => {
    const call = request(`${base}/observe/observables`, { method: 'POST', agent: false, headers: { ...bearer(), 'content-type': 'application/json' } }, resolve)
    call.on('error', reject)
    call.end(JSON.stringify(body))
  })
}

/**
 * Waits until `done` holds, at most `ms`: the relay gives an answer's memory back once the server
 * has handed its last byte to the socket, which a client in the same process may see after it has
 * read the whole answer.
 */
async function until (done: () => boolean, ms = 2000): Promise<void> {
  for (const end = Date.now() + ms; !done() && Date.now() < end;) await sleep(5)
}

async function read (response: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = []
  for await (const chunk of response) chunks.push(chunk)
  return JSON.parse(Buffer.concat(chunks).toString())
}

function sightingValues (answer: any): Set<string> {
  return new Set(answer.data.sightings.docs.map((sighting: any) => sighting.observables[0].value))
}

t.test('an answer still being sent keeps its memory; the answers written meanwhile do not touch it', async t => {
  const { app, simulator } = await buildRelay(t, { ...PLAIN_UPSTREAM, CTR_ENTITIES_LIMIT: String(RECORDS), ANSWER_MAX_BYTES: '50000000' })
  simulator.script('*', { body: records(RECORDS) })
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  t.equal(keptBytes(), 0)

  const slow = await observe(base, observables('slow'))
  slow.pause()
  const size = Number(slow.headers['content-length'])
  t.ok(size > 6e6, `${size} bytes: more than the sockets' buffers take from a client that does not read`)
  await sleep(200)
  t.equal(keptBytes(), 0, 'the slow answer is not sent yet: its memory is still lent')

  const quick = await read(await observe(base, observables('quick')))
  t.strictSame(sightingValues(quick), new Set(observables('quick').map(({ value }) => value)))
  t.equal(quick.data.sightings.count, 6 * RECORDS)
  await until(() => keptBytes() >= size)
  t.ok(keptBytes() >= size, 'the quick answer, sent, gave its memory back')

  slow.resume()
  const answer = await read(slow)
  t.strictSame(sightingValues(answer), new Set(observables('slow').map(({ value }) => value)), 'the slow answer is its own, whole')
  t.equal(answer.data.sightings.count, 6 * RECORDS)
  t.equal(answer.data.relationships.count, answer.data.sightings.count + answer.data.judgements.count)
})
