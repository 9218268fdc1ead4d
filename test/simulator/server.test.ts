// simulator/server.ts: the C1fApp stand-in on a real socket, its normal answers and options.
import t from 'tap'
import { connect } from 'node:net'
import { once } from 'node:events'
import { API_PATH, DEMO_API_KEY, startSimulator } from '../../simulator/server.js'
import { buildDataset, DEMO_OBSERVABLES, type C1fAppRawRecord } from '../../simulator/dataset.js'
import { ask, bodyFor, raw, simulatorFor, TODAY } from '../support/simulator-requests.js'

t.test('normal behaviour', async t => {
  const dataset = buildDataset(TODAY)
  const simulator = await simulatorFor(t, { dataset })

  t.test('answers the records of a value, whatever its case', async t => {
    for (const { value } of DEMO_OBSERVABLES) {
      const res = await ask(simulator, value.toUpperCase())
      t.equal(res.status, 200)
      t.equal(res.headers.get('content-type'), 'application/json')
      t.same(await res.json(), dataset.get(value))
    }
  })

  t.test('answers [] for an unknown value', async t => {
    for (const value of ['unknown.example', '192.0.2.200', 'https://unknown.example/x?y=1']) {
      const res = await ask(simulator, value)
      t.equal(res.status, 200)
      t.same(await res.json(), [])
    }
  })

  t.test('answers 404 Not Found off its path or method', async t => {
    const get = await fetch(simulator.url)
    t.equal(get.status, 404)
    t.equal(await get.text(), 'Not Found')
    const elsewhere = await fetch(new URL('/cifapp/other/', simulator.url), { method: 'POST', body: bodyFor('example.com') })
    t.equal(elsewhere.status, 404)
    t.equal(await elsewhere.text(), 'Not Found')
    const query = await fetch(`${simulator.url}?x=1`, { method: 'POST', body: bodyFor('unknown.example') })
    t.equal(query.status, 200)
  })

  t.test('answers 400 Bad Request to a body that is no JSON object', async t => {
    for (const body of ['{"key":', 'null', '"text"', '']) {
      const res = await fetch(simulator.url, { method: 'POST', body })
      t.equal(res.status, 400, body)
      t.equal(await res.text(), 'Bad Request')
    }
  })

  t.test('answers 403 Invalid API key to a missing or unknown key', async t => {
    for (const key of ['wrong', null, 42]) {
      const res = await ask(simulator, 'example.com', key)
      t.equal(res.status, 403)
      t.equal(await res.text(), 'Invalid API key')
    }
    for (const body of ['{"request":"example.com"}', '[]']) {
      const res = await fetch(simulator.url, { method: 'POST', body })
      t.equal(res.status, 403)
      t.equal(await res.text(), 'Invalid API key')
    }
  })

  t.test('answers Empty Search! to an empty or missing request', async t => {
    for (const request of ['', '   ', undefined, 42]) {
      const res = await ask(simulator, request)
      t.equal(res.status, 200)
      t.equal(await res.text(), 'Empty Search! Available search: IPv4/URL/Domain')
    }
  })

  t.test('answers Unsupported request to what is no IPv4, domain or http(s) URL', async t => {
    for (const request of ['2001:db8::1', 'foo bar', 'ftp://example.com/file', '256.1.1.1', 'localhost', 'http:// bad']) {
      const res = await ask(simulator, request)
      t.equal(res.status, 200, request)
      t.equal(await res.text(), 'Unsupported request ? IPv4/Domain only')
    }
  })

  t.test('records every request, in order', async t => {
    simulator.reset()
    await ask(simulator, 'one.example')
    await fetch(simulator.url)
    t.equal(simulator.requests.length, 2)
    t.match(simulator.requests[0], {
      method: 'POST',
      url: API_PATH,
      headers: { 'content-type': 'application/json' },
      body: bodyFor('one.example')
    })
    t.match(simulator.requests[1], { method: 'GET', url: API_PATH, body: '' })
  })
})

t.test('options', async t => {
  t.test('keys and dataset', async t => {
    const dataset = new Map([['mine.example', [{ feed_label: ['Mine'] } as unknown as C1fAppRawRecord]]])
    const simulator = await simulatorFor(t, { keys: ['k1', 'k2'], dataset })
    t.same(await (await ask(simulator, 'mine.example', 'k2')).json(), [{ feed_label: ['Mine'] }])
    t.equal((await ask(simulator, 'mine.example', DEMO_API_KEY)).status, 403)
  })

  t.test('host and port', async t => {
    const simulator = await simulatorFor(t, { host: '::1' })
    t.match(simulator.url, /^http:\/\/\[::1\]:\d+\/cifapp\/api\/$/)
    t.equal((await ask(simulator, 'example.com')).status, 200)
    const port = Number(new URL(simulator.url).port)
    await t.rejects(startSimulator({ host: '::1', port }), { code: 'EADDRINUSE' })
  })
})

t.test('close destroys open sockets, even while delaying or trickling', async t => {
  const simulator = await startSimulator()
  simulator.script('late.example', { delayMs: 60_000 })
  simulator.script('slow.example', { trickleMs: 60_000, body: 'z'.repeat(64) })
  const late = raw(simulator, 'late.example')
  const slow = raw(simulator, 'slow.example')
  while (simulator.requests.length < 2) await new Promise(resolve => setTimeout(resolve, 5))
  const start = Date.now()
  await simulator.close()
  t.ok(Date.now() - start < 1000)
  t.ok((await late).error)
  const { body, error } = await slow
  t.ok(body.length < 64, 'the body never ends')
  t.ok(error)
  await simulator.close()
})

t.test('a client that leaves in the middle of its request is forgotten', async t => {
  const simulator = await simulatorFor(t)
  const { port } = new URL(simulator.url)
  const socket = connect(Number(port), '127.0.0.1')
  await once(socket, 'connect')
  socket.write(`POST ${API_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"key":`)
  await new Promise(resolve => setTimeout(resolve, 50))
  socket.destroy()
  await new Promise(resolve => setTimeout(resolve, 50))
  t.equal(simulator.requests.length, 0)
  t.equal((await ask(simulator, 'example.com')).status, 200, 'and the simulator carries on')
})
