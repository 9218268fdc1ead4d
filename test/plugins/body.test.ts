// A body over MAX_BODY_BYTES is answered with its `invalid argument` error every time, even while
// the client is still sending it: never a reset or EPIPE (the connection used to close under the
// client's feet). Real sockets, a 3 MB body written in pieces, many times over to catch the race.
import net, { type AddressInfo } from 'node:net'
import t from 'tap'
import { bearer, buildApp } from '../helper.js'

const BODY = Buffer.alloc(3 * 1024 * 1024, 'a')
const ANSWER = JSON.stringify({
  errors: [{ type: 'fatal', code: 'invalid argument', message: "The request body is larger than the limit of 1048576 bytes (MAX_BODY_BYTES, a setting of the module's owner)." }]
})
const PIECE = 64 * 1024

/** Sends the body in pieces with pauses, and reports what came back on the socket and how it ended. */
function send (port: number, framing: 'length' | 'chunked'): Promise<{ text: string, error?: string }> {
  return new Promise(resolve => {
    const socket = net.connect(port, '127.0.0.1')
    let text = ''
    let error: string | undefined
    socket.on('data', data => { text += data.toString() })
    socket.on('error', (failure: NodeJS.ErrnoException) => { error = failure.code })
    socket.on('close', () => resolve({ text, error }))
    socket.write('POST /observe/observables HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\n' +
      `Authorization: ${bearer().authorization}\r\n` +
      (framing === 'length' ? `Content-Length: ${BODY.length}\r\n\r\n` : 'Transfer-Encoding: chunked\r\n\r\n'))
    let sent = 0
    const next = (): void => {
      if (socket.destroyed) return
      if (sent >= BODY.length) {
        socket.end(framing === 'chunked' ? '0\r\n\r\n' : '')
        return
      }
      const piece = BODY.subarray(sent, sent + PIECE)
      socket.write(framing === 'chunked' ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece)
      sent += piece.length
      setTimeout(next, 1)
    }
    next()
  })
}

for (const framing of ['length', 'chunked'] as const) {
  t.test(`a 3 MB body (${framing === 'length' ? 'Content-Length' : 'chunked'}) gets its answer every time, never a reset`, async t => {
    const relay = await buildApp(t)
    await relay.listen({ port: 0, host: '127.0.0.1' })
    const { port } = relay.server.address() as AddressInfo
    const outcomes = new Map<string, number>()
    for (let i = 0; i < 15; i++) {
      const { text, error } = await send(port, framing)
      const outcome = `${text.startsWith('HTTP/1.1 200 OK') && text.endsWith(ANSWER) ? 'answered' : 'not answered'}${error === undefined ? '' : `, ${error}`}`
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
    }
    t.strictSame(Object.fromEntries(outcomes), { answered: 15 })
  })
}
