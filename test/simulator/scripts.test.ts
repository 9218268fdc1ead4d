// simulator/server.ts's scripts: the answers, faults and delays a test sets for a value.
import t from 'tap'
import { buildDataset } from '../../simulator/dataset.js'
import { ask, bodyFor, raw, simulatorFor, TODAY } from '../support/simulator-requests.js'

t.test('scripts', async t => {
  const dataset = buildDataset(TODAY)
  const simulator = await simulatorFor(t, { dataset })
  t.beforeEach(() => simulator.reset())

  t.test('a single answer sticks, with a text body', async t => {
    simulator.script('a.example', { status: 500, body: 'boom' })
    for (let i = 0; i < 2; i++) {
      const res = await ask(simulator, 'a.example')
      t.equal(res.status, 500)
      t.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8')
      t.equal(await res.text(), 'boom')
    }
    t.equal((await ask(simulator, 'b.example')).status, 200, 'other values are not scripted')
  })

  t.test('an array is consumed in order, then its last answer sticks', async t => {
    simulator.script('a.example', [{ status: 429, body: 'slow down' }, { body: { a: 1 } }, { body: [] }])
    const seen = []
    for (let i = 0; i < 4; i++) {
      const res = await ask(simulator, 'a.example')
      seen.push([res.status, await res.text()])
    }
    t.same(seen, [[429, 'slow down'], [200, '{"a":1}'], [200, '[]'], [200, '[]']])
  })

  t.test('* applies to any request, a value\'s own script first', async t => {
    simulator.script('*', { status: 503, body: 'down' })
    simulator.script('a.example', { body: 'mine' })
    t.equal(await (await ask(simulator, 'a.example')).text(), 'mine')
    t.equal((await ask(simulator, 'b.example')).status, 503)
    t.equal((await fetch(simulator.url, { method: 'POST', body: 'no json' })).status, 503)
    t.equal((await fetch(simulator.url)).status, 503)
  })

  t.test('applies before the key check', async t => {
    simulator.script('a.example', { body: [{ feed_label: ['X'] }] })
    const res = await ask(simulator, 'a.example', 'wrong')
    t.equal(res.status, 200)
    t.equal(res.headers.get('content-type'), 'application/json')
    t.same(await res.json(), [{ feed_label: ['X'] }])
    t.equal(simulator.requests.length, 1, 'and after recording the request')
  })

  t.test('without a body gives the normal answer, with the status and headers given', async t => {
    simulator.script('203.0.113.7', { status: 202, headers: { 'X-Extra': 'yes' } })
    const res = await ask(simulator, '203.0.113.7')
    t.equal(res.status, 202)
    t.equal(res.headers.get('x-extra'), 'yes')
    t.same(await res.json(), dataset.get('203.0.113.7'))
    simulator.script('a.example', { headers: { 'x-extra': 'yes' } })
    const forbidden = await ask(simulator, 'a.example', 'wrong')
    t.equal(forbidden.status, 403)
    t.equal(await forbidden.text(), 'Invalid API key')
  })

  t.test('headers replace the defaults, whatever their case', async t => {
    simulator.script('a.example', { body: '<html></html>', headers: { 'Content-Type': 'text/html' } })
    const res = await ask(simulator, 'a.example')
    t.equal(res.headers.get('content-type'), 'text/html')
  })

  t.test('a redirect is sent, not followed', async t => {
    simulator.script('a.example', { status: 302, body: '', headers: { location: 'http://elsewhere.example/' } })
    const res = await fetch(simulator.url, { method: 'POST', body: bodyFor('a.example'), redirect: 'manual' })
    t.equal(res.status, 302)
    t.equal(res.headers.get('location'), 'http://elsewhere.example/')
  })

  t.test('delayMs waits before answering', async t => {
    simulator.script('a.example', { delayMs: 150, body: 'late' })
    const start = Date.now()
    const res = await ask(simulator, 'a.example')
    t.equal(await res.text(), 'late')
    t.ok(Date.now() - start >= 140, `${Date.now() - start} ms`)
  })

  t.test('heldUntil holds the answer until the gate settles, or until the client goes away', async t => {
    let release!: () => void
    simulator.script('a.example', { heldUntil: new Promise<void>(resolve => { release = resolve }), body: 'held' })
    let answered = false
    const answer = ask(simulator, 'a.example').then(res => { answered = true; return res })
    await new Promise(resolve => setTimeout(resolve, 100))
    t.equal(answered, false, 'nothing before the gate settles')
    release()
    t.equal(await (await answer).text(), 'held')
    simulator.script('a.example', { heldUntil: new Promise(() => {}), body: 'never' })
    await t.rejects(fetch(simulator.url, { method: 'POST', body: bodyFor('a.example'), signal: AbortSignal.timeout(50) }), { name: 'TimeoutError' }, 'never answered')
  })

  t.test('drop before-headers destroys the socket at once', async t => {
    simulator.script('a.example', { drop: 'before-headers' })
    const { res, error } = await raw(simulator, 'a.example')
    t.equal(res, undefined)
    t.match(error, { code: 'ECONNRESET' })
  })

  t.test('drop mid-body sends headers and part of the body', async t => {
    simulator.script('a.example', { drop: 'mid-body', body: 'x'.repeat(100) })
    const { res, body, error } = await raw(simulator, 'a.example')
    t.equal(res?.statusCode, 200)
    t.equal(res?.headers['content-length'], '100')
    t.equal(body, 'x'.repeat(50))
    t.ok(error, 'the body never ends')
  })

  t.test('drop mid-body with an empty body sends the headers only', async t => {
    simulator.script('a.example', { drop: 'mid-body', body: '' })
    const { res, body } = await raw(simulator, 'a.example')
    t.equal(res?.statusCode, 200)
    t.equal(body, '')
  })

  t.test('trickleMs sends the body in small chunks', async t => {
    simulator.script('a.example', { trickleMs: 20, body: 'y'.repeat(64) })
    const start = Date.now()
    const res = await ask(simulator, 'a.example')
    const chunks = []
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) chunks.push(chunk)
    t.equal(Buffer.concat(chunks).toString(), 'y'.repeat(64))
    t.ok(chunks.length > 1, `${chunks.length} chunks`)
    t.ok(Date.now() - start >= 55, `${Date.now() - start} ms`)
  })

  t.test('reset clears scripts and requests', async t => {
    simulator.script('*', { status: 500 })
    await ask(simulator, 'a.example')
    simulator.reset()
    t.same(simulator.requests, [])
    t.equal((await ask(simulator, 'a.example')).status, 200)
  })
})
