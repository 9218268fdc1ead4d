import t from 'tap'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { connect } from 'node:net'
import { once } from 'node:events'
import { API_PATH, DEMO_API_KEY, startSimulator, type Simulator } from '../../simulator/server.js'
import { buildDataset, DEMO_OBSERVABLES, type C1fAppRawRecord } from '../../simulator/dataset.js'

const TODAY = new Date('2025-03-15T12:34:56Z')
const DAY = 24 * 60 * 60 * 1000

function bodyFor (request: unknown, key: unknown = DEMO_API_KEY): string {
  return JSON.stringify({ key, format: 'json', backend: 'es', request })
}

async function ask (simulator: Simulator, request: unknown, key?: unknown): Promise<Response> {
  return fetch(simulator.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: bodyFor(request, key)
  })
}

// node:http, where fetch would hide what happened to the socket
function raw (simulator: Simulator, request: string): Promise<{ res?: IncomingMessage, body: string, error?: Error }> {
  return new Promise(resolve => {
    let res: IncomingMessage | undefined
    let body = ''
    const req = httpRequest(simulator.url, { method: 'POST', headers: { 'content-type': 'application/json' } }, response => {
      res = response
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => { body += chunk })
      response.on('end', () => resolve({ res, body }))
      response.on('error', error => resolve({ res, body, error }))
    })
    req.on('error', error => resolve({ res, body, error }))
    req.end(bodyFor(request))
  })
}

async function simulatorFor (t: { teardown: (fn: () => unknown) => void }, options?: Parameters<typeof startSimulator>[0]): Promise<Simulator> {
  const simulator = await startSimulator(options)
  t.teardown(() => simulator.close())
  return simulator
}

t.test('the data set', async t => {
  const dataset = buildDataset(TODAY)
  const records = [...dataset.values()].flat()

  t.test('is deterministic for a date, whatever the hour', async t => {
    t.same(buildDataset(new Date('2025-03-15T00:00:00Z')), dataset)
    t.same(buildDataset(new Date('2025-03-15T23:59:59Z')), dataset)
    t.notSame(buildDataset(new Date('2025-03-16T12:00:00Z')), dataset)
  })

  t.test('defaults to today', async t => {
    const latest = [...buildDataset().values()].flat()
      .map(record => record.reportime?.[0]).filter(date => date !== undefined).sort().at(-1) as string
    t.ok(Date.now() - Date.parse(latest) < 90 * DAY)
  })

  t.test('has a few hundred records over about sixteen lowercased values', async t => {
    t.ok(records.length >= 250 && records.length <= 350, `${records.length} records`)
    t.equal(dataset.size, 16)
    for (const key of dataset.keys()) t.equal(key, key.toLowerCase())
  })

  t.test('reports every record within the 90 days before the date', async t => {
    const today = Date.UTC(2025, 2, 15)
    for (const record of records) {
      if (record.reportime === undefined) continue
      t.match(record.reportime[0], /^\d{4}-\d{2}-\d{2}$/)
      const age = today - Date.parse(record.reportime[0])
      if (age < 0 || age >= 90 * DAY) t.fail(`${record.reportime[0]} out of range`)
    }
  })

  t.test('has records in the shape of contract §2.1', async t => {
    const good = records.filter(record => record.reportime !== undefined && record.feed_label[0] !== '')
    for (const record of good) {
      for (const [field, value] of Object.entries(record)) {
        if (field === 'derived') t.equal(value, 'direct')
        else if (!Array.isArray(value) || value.length === 0) t.fail(`${field} is not a list`)
      }
    }
    t.equal(good.length, records.length - 2)
  })

  t.test('has the quirks of the real thing', async t => {
    const confidences = records.map(record => record.confidence[0])
    t.ok(confidences.some(c => typeof c === 'number'), 'confidence as a number')
    t.ok(confidences.some(c => typeof c === 'string' && /^\d+$/.test(c)), 'confidence as a numeric string')
    t.ok(records.some(record => record.domain.includes('')), 'an empty domain')
    t.ok(records.some(record => record.ip_address.includes('')), 'an empty ip_address')
    t.ok(records.some(record => record.source[0].split(',').length > 1), 'several sources in one')
    t.ok(records.some(record => record.asn[0] === '-' && record.asn_desc[0] === '-'), 'unknown asn')
    t.ok(records.some(record => record.asn[0] !== '-'), 'known asn')
    const assessments = new Set(records.map(record => record.assessment[0]))
    t.same([...assessments].sort(), ['Spam', 'botnet', 'malware', 'phishing', 'scanner', 'whitelist'])
    const feeds = new Set(records.map(record => record.feed_label[0]).filter(label => label !== ''))
    t.ok(feeds.size >= 6, `${feeds.size} feeds`)
    t.ok(feeds.has('Alexa Top Sites'))
  })

  t.test('has related fields that make sense', async t => {
    for (const { type, value } of DEMO_OBSERVABLES) t.ok(dataset.has(value), `${type} ${value}`)
    for (const [value, list] of dataset) {
      for (const record of list) {
        if (/^\d+\.\d+\.\d+\.\d+$/.test(value)) {
          t.same(record.ip_address, [value])
          t.ok(record.domain.every(domain => domain === '' || /^[a-z0-9.-]+\.[a-z]+$/.test(domain)))
        } else if (value.startsWith('http')) {
          t.equal(record.address[0], value)
          const host = new URL(value).hostname
          if (/^[\d.]+$/.test(host)) t.same(record.domain, [''])
          else {
            t.equal(record.domain[0], host)
            for (const parent of record.domain.slice(1)) t.ok(host.endsWith(`.${parent}`) && parent.includes('.'))
          }
        } else {
          t.equal(record.domain[0], value)
          t.equal(new URL(record.address[0]).hostname, value)
        }
        for (const ip of record.ip_address) t.match(ip, /^$|^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+$/)
      }
    }
  })

  t.test('has an answer with two unusable records among five good ones', async t => {
    const list = dataset.get('broken-records.example') as C1fAppRawRecord[]
    t.equal(list.length, 7)
    t.equal(list.filter(record => record.reportime === undefined).length, 1)
    t.equal(list.filter(record => record.feed_label[0] === '').length, 1)
  })
})

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
