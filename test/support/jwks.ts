// Threat Response's side of the configuration token, for tests: RSA keys made in the test, a JWKS
// server on loopback that serves them at /.well-known/jwks, and tokens signed as Threat Response
// signs them.
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createSigner } from 'fast-jwt'
import { C1FAPP_KEY } from '../helper.js'

export const RELAY_PUBLIC_URL = 'https://c1fapp-relay.example.com'

export interface SigningKey {
  kid: string
  privateKey: KeyObject
  /** the public JWK as a JWKS lists it */
  jwk: Record<string, unknown>
}

export function signingKey (kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } }
}

export type JwksMode = 'serve' | 'hang' | 'error 500' | 'not json' | 'no keys'

export interface JwksServer {
  /** `127.0.0.1:<port>`, the token's jwks_host */
  host: string
  /** the paths asked for, in order */
  requests: string[]
  keys: Array<Record<string, unknown>>
  mode: JwksMode
  close: () => Promise<void>
}

export async function startJwksServer (keys: SigningKey[] = []): Promise<JwksServer> {
  const state: JwksServer = {
    host: '',
    requests: [],
    keys: keys.map(key => key.jwk),
    mode: 'serve',
    close: async () => {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    }
  }
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    state.requests.push(req.url as string)
    if (state.mode === 'hang') return
    if (req.url !== '/.well-known/jwks') return res.writeHead(404).end('{"error":"not found"}')
    if (state.mode === 'error 500') return res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal"}')
    if (state.mode === 'not json') return res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>')
    const body = state.mode === 'no keys' ? {} : { keys: state.keys }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  state.host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  return state
}

/** A configuration token as Threat Response makes it; `payload` replaces or (as undefined) removes claims. */
export function configurationToken (key: SigningKey, jwksHost: string, payload: Record<string, unknown> = {}, header: Record<string, unknown> = {}): string {
  const claims: Record<string, unknown> = { jwks_host: jwksHost, aud: RELAY_PUBLIC_URL, key: C1FAPP_KEY, ...payload }
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name]
  return createSigner({ key: key.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, algorithm: 'RS256', kid: key.kid, header: header as { alg: string } })(claims)
}

/** The relay's environment for the configuration token scheme, with the JWKS server allow-listed. */
export function configurationEnv (jwks: JwksServer, env: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { RELAY_PUBLIC_URL, JWKS_HOSTS: jwks.host, JWKS_ALLOW_HTTP: '1', ...env }
}
