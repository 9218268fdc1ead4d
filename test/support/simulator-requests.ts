// Asking the simulator as its tests do: fetch for answers, node:http where fetch would hide what
// happened to the socket, and a simulator that closes when the test ends.
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { DEMO_API_KEY, startSimulator, type Simulator } from '../../simulator/server.js'

export const TODAY = new Date('2025-03-15T12:34:56Z')

export function bodyFor (request: unknown, key: unknown = DEMO_API_KEY): string {
  return JSON.stringify({ key, format: 'json', backend: 'es', request })
}

export async function ask (simulator: Simulator, request: unknown, key?: unknown): Promise<Response> {
  return fetch(simulator.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: bodyFor(request, key)
  })
}

// node:http, where fetch would hide what happened to the socket
export function raw (simulator: Simulator, request: string): Promise<{ res?: IncomingMessage, body: string, error?: Error }> {
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

export async function simulatorFor (t: { teardown: (fn: () => unknown) => void }, options?: Parameters<typeof startSimulator>[0]): Promise<Simulator> {
  const simulator = await startSimulator(options)
  t.teardown(() => simulator.close())
  return simulator
}
