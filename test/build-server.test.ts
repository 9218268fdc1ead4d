// build-server.ts: the one builder of every entry (server.ts, lambda.ts, the demo, the bench, the
// tests), with the settings a production deployment wants: the log level, and which reverse proxies
// are trusted.
import t, { type Test } from 'tap'
import { buildServer } from '../build-server.js'
import { readConfig } from '../lib/config.js'
import { buildApp, SECRET_KEY } from './helper.js'

const FORWARDED = { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' }

/** The client address and protocol a relay configured with TRUST_PROXY sees, per peer address. */
async function seen (t: Test, trustProxy: string | undefined, remoteAddress: string) {
  // A probe route beside the relay's: nothing of the relay answers with the client's address.
  const server = await buildApp(t, { TRUST_PROXY: trustProxy }, false, app => {
    app.get('/probe', async request => ({ ip: request.ip, protocol: request.protocol }))
  })
  const response = await server.inject({ method: 'GET', url: '/probe', headers: FORWARDED, remoteAddress })
  return response.json()
}

t.test('by default no proxy is trusted: X-Forwarded-For cannot fake the client address', async t => {
  t.strictSame(await seen(t, undefined, '10.0.0.2'), { ip: '10.0.0.2', protocol: 'http' })
  t.strictSame(await seen(t, 'false', '127.0.0.1'), { ip: '127.0.0.1', protocol: 'http' })
})

t.test('TRUST_PROXY=true trusts every peer', async t => {
  t.strictSame(await seen(t, 'true', '198.51.100.1'), { ip: '203.0.113.9', protocol: 'https' })
})

t.test('TRUST_PROXY with addresses trusts those peers only', async t => {
  t.strictSame(await seen(t, '10.0.0.0/8,192.0.2.1', '10.1.2.3'), { ip: '203.0.113.9', protocol: 'https' })
  t.strictSame(await seen(t, '10.0.0.0/8,192.0.2.1', '192.0.2.1'), { ip: '203.0.113.9', protocol: 'https' })
  t.strictSame(await seen(t, '10.0.0.0/8,192.0.2.1', '198.51.100.1'), { ip: '198.51.100.1', protocol: 'http' })
  t.strictSame(await seen(t, 'loopback', '127.0.0.1'), { ip: '203.0.113.9', protocol: 'https' })
  t.strictSame(await seen(t, 'loopback,fd00::/8', '::1'), { ip: '203.0.113.9', protocol: 'https' })
})

t.test('the relay is registered with the configuration it was given, logging at its LOG_LEVEL', async t => {
  const reading = readConfig({ SECRET_KEY, LOG_LEVEL: 'warn' })
  const server = await buildServer(reading)
  t.teardown(() => server.close())
  t.equal(server.log.level, 'warn')
  t.equal(server.config, reading.config, 'read once, handed down')
  t.equal((await server.inject({ method: 'POST', url: '/version' })).statusCode, 200)
  t.throws(() => readConfig({ SECRET_KEY, TRUST_PROXY: '1' }), { name: 'ConfigError', message: /^Invalid configuration: TRUST_PROXY is invalid/ })
})
