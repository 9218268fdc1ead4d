// Contract §1.3: Threat Response's RS256 configuration token, verified against the JWKS of the
// region it names, beside (or instead of) the legacy HS256 token of §1.2.
import t, { type Test } from 'tap'
import { createSigner } from 'fast-jwt'
import { generateKeyPairSync } from 'node:crypto'
import { authorizationFailed, bearer, buildRelay, C1FAPP_KEY, observeBody, post, SECRET_KEY, token, healthOk } from '../helper.js'
import { configurationEnv, configurationToken, RELAY_PUBLIC_URL, signingKey, startJwksServer } from '../support/jwks.js'
import { REASONS } from '../../lib/authorization.js'

const now = () => Math.floor(Date.now() / 1000)

const keyA = signingKey('key-a')
const keyB = signingKey('key-b')
const stranger = signingKey('key-a') // the same kid as keyA, another key: not in any set

function unsigned (header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part(header)}.${part(payload)}.`
}

async function setup (t: Test, env: Record<string, string | undefined> = {}) {
  const jwks = await startJwksServer([keyA])
  t.teardown(() => jwks.close())
  const relay = await buildRelay(t, configurationEnv(jwks, env))
  return { jwks, ...relay }
}

t.test('a configuration token is verified against the JWKS of its jwks_host, and its key reaches C1fApp', async t => {
  const { app, jwks, simulator } = await setup(t)
  const jwt = configurationToken(keyA, jwks.host, { key: 'a-users-own-key' })
  t.strictSame((await post(app, '/health', undefined, bearer(jwt))).json(),
    { errors: [{ type: 'fatal', code: 'forbidden', message: 'Unexpected response from C1fApp: Invalid API key' }] })
  t.equal(JSON.parse(simulator.requests[0].body).key, 'a-users-own-key', 'the key claim is the key sent to C1fApp')
  t.strictSame((await post(app, '/health', undefined, bearer(configurationToken(keyA, jwks.host)))).json(), healthOk(1))
  t.strictSame(jwks.requests, ['/.well-known/jwks'], 'fetched once, then cached')
  for (const route of ['/deliberate/observables', '/refer/observables', '/respond/observables']) {
    t.equal((await post(app, route, [], bearer(jwt))).statusCode, 200)
    t.notOk((await post(app, route, [], bearer(jwt))).json().errors, route)
  }
  t.strictSame(jwks.requests, ['/.well-known/jwks'])
})

t.test('every reason of §1.3, and C1fApp is never asked', async t => {
  const { app, jwks, simulator } = await setup(t)
  const other = await startJwksServer([keyA])
  t.teardown(() => other.close())
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const rs512 = createSigner({ key: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, algorithm: 'RS512', kid: 'key-a' })
  const cases: Array<[string, string, string]> = [
    ['no jwks_host', configurationToken(keyA, jwks.host, { jwks_host: undefined }), REASONS.jwksHostMissing],
    ['an empty jwks_host', configurationToken(keyA, jwks.host, { jwks_host: '' }), REASONS.jwksHostMissing],
    ['a numeric jwks_host', configurationToken(keyA, jwks.host, { jwks_host: 42 }), REASONS.jwksHostMissing],
    ['a jwks_host off the allow-list', configurationToken(keyA, other.host), REASONS.wrongJwksHost],
    ['a region off the allow-list', configurationToken(keyA, 'visibility.amp.cisco.com'), REASONS.wrongJwksHost],
    ['a host with a path', configurationToken(keyA, `${jwks.host}/evil`), REASONS.wrongJwksHost],
    ['a kid not in the set', configurationToken(signingKey('key-z'), jwks.host), REASONS.kidNotFound],
    ['no kid', configurationToken(keyA, jwks.host, {}, { kid: undefined }), REASONS.kidNotFound],
    ['an empty kid', configurationToken({ ...keyA, kid: '' }, jwks.host), REASONS.kidNotFound],
    ['signed by a key not in the set', configurationToken(stranger, jwks.host), REASONS.wrongJwksKey],
    ['a tampered payload', configurationToken(keyA, jwks.host).replace(/\.[^.]+\./, `.${Buffer.from(JSON.stringify({ jwks_host: jwks.host, aud: RELAY_PUBLIC_URL, key: 'stolen' })).toString('base64url')}.`), REASONS.wrongJwksKey],
    ['another audience', configurationToken(keyA, jwks.host, { aud: 'https://another-relay.example.com' }), REASONS.wrongAudience],
    ['no audience', configurationToken(keyA, jwks.host, { aud: undefined }), REASONS.wrongAudience],
    ['a numeric audience', configurationToken(keyA, jwks.host, { aud: 7 }), REASONS.wrongAudience],
    ['no key claim', configurationToken(keyA, jwks.host, { key: undefined }), REASONS.wrongPayload],
    ['an empty key claim', configurationToken(keyA, jwks.host, { key: '' }), REASONS.wrongPayload],
    ['expired', configurationToken(keyA, jwks.host, { exp: now() - 60 }), REASONS.expired],
    ['not yet valid', configurationToken(keyA, jwks.host, { nbf: now() + 3600 }), REASONS.notYetValid],
    ['expired, signed by a key not in the set', configurationToken(stranger, jwks.host, { exp: now() - 60 }), REASONS.wrongJwksKey],
    ['RS512', rs512({ jwks_host: jwks.host, aud: RELAY_PUBLIC_URL, key: C1FAPP_KEY }), REASONS.wrongKey],
    ['alg none', unsigned({ alg: 'none', typ: 'JWT', kid: 'key-a' }, { jwks_host: jwks.host, aud: RELAY_PUBLIC_URL, key: 'k' }), REASONS.wrongKey],
    ['alg RS256 without a signature', unsigned({ alg: 'RS256', typ: 'JWT', kid: 'key-a' }, { jwks_host: jwks.host, aud: RELAY_PUBLIC_URL, key: 'k' }), REASONS.wrongJwksKey]
  ]
  for (const [name, jwt, reason] of cases) {
    for (const route of ['/health', '/observe/observables']) {
      const response = await post(app, route, [{ type: 'domain', value: 'phish.example' }], bearer(jwt))
      t.equal(response.statusCode, 200, `${name}: HTTP 200`)
      t.strictSame(response.json(), authorizationFailed(reason), `${route}: ${name}`)
    }
  }
  t.equal(simulator.requests.length, 0, 'C1fApp was never asked')
  t.strictSame(other.requests, [], 'a jwks_host off the allow-list is never contacted')
  t.ok(jwks.requests.length >= 1)
})

t.test('the audience may differ from RELAY_PUBLIC_URL by a trailing slash, and may be a list', async t => {
  const { app, jwks } = await setup(t, { RELAY_PUBLIC_URL: `${RELAY_PUBLIC_URL}/` })
  for (const [i, aud] of [RELAY_PUBLIC_URL, `${RELAY_PUBLIC_URL}/`, ['https://someone-else.example', RELAY_PUBLIC_URL]].entries()) {
    t.strictSame((await post(app, '/health', undefined, bearer(configurationToken(keyA, jwks.host, { aud })))).json(), healthOk(i + 1), JSON.stringify(aud))
  }
  t.strictSame((await post(app, '/health', undefined, bearer(configurationToken(keyA, jwks.host, { aud: `${RELAY_PUBLIC_URL}//` })))).json(),
    authorizationFailed(REASONS.wrongAudience))
  const exp = now() + 600
  t.strictSame((await post(app, '/health', undefined, bearer(configurationToken(keyA, jwks.host, { exp, nbf: now() - 10 })))).json(), healthOk(4), 'exp and nbf honoured when valid')
})

t.test('jwks_host is matched without case', async t => {
  const jwks = await startJwksServer([keyA])
  t.teardown(() => jwks.close())
  const { app } = await buildRelay(t, configurationEnv(jwks, { JWKS_HOSTS: `LOCALHOST:${jwks.host.split(':')[1]}` }))
  const host = `LocalHost:${jwks.host.split(':')[1]}`
  t.strictSame((await post(app, '/health', undefined, bearer(configurationToken(keyA, host)))).json(), healthOk(1))
  t.strictSame(jwks.requests, ['/.well-known/jwks'])
})

t.test('a flood of unknown kids costs the host no fetch within 30 s; the cached set still answers', async t => {
  const { app, jwks, simulator } = await setup(t)
  t.strictSame((await post(app, '/health', undefined, bearer(configurationToken(keyA, jwks.host)))).json(), healthOk(1))
  t.equal(jwks.requests.length, 1)
  const flood = await Promise.all(Array.from({ length: 200 }, (_, i) =>
    post(app, '/health', undefined, bearer(configurationToken({ ...keyA, kid: `random-${i}` }, jwks.host)))))
  for (const response of flood) t.strictSame(response.json(), authorizationFailed(REASONS.kidNotFound))
  t.equal(jwks.requests.length, 1, '200 unknown kids, no fetch: the set was fetched less than 30 s ago')
  jwks.keys = [keyA.jwk, keyB.jwk]
  t.strictSame((await post(app, '/health', undefined, bearer(configurationToken(keyB, jwks.host)))).json(), authorizationFailed(REASONS.kidNotFound),
    'a key published just now waits for the next fetch (test/lib/jwks-cache.test.ts: within 30 s)')
  t.strictSame((await post(app, '/health', undefined, bearer(configurationToken(keyA, jwks.host)))).json(), healthOk(2), 'the known key, from the cache')
  t.equal(jwks.requests.length, 1)
  t.equal(simulator.requests.length, 2, 'C1fApp asked only for the good tokens')
})

t.test('a flood of unknown kids before any set is cached: one fetch in flight for all', async t => {
  const { app, jwks } = await setup(t)
  const flood = await Promise.all(Array.from({ length: 50 }, (_, i) =>
    post(app, '/health', undefined, bearer(configurationToken({ ...keyA, kid: `random-${i}` }, jwks.host)))))
  for (const response of flood) t.strictSame(response.json(), authorizationFailed(REASONS.kidNotFound))
  t.equal(jwks.requests.length, 1)
})

t.test('cheap claims first: a token with the wrong audience or no key never fetches the set', async t => {
  const { app, jwks } = await setup(t)
  for (const [claims, reason] of [[{ aud: 'https://other.example' }, REASONS.wrongAudience], [{ key: 5 }, REASONS.wrongPayload]] as const) {
    t.strictSame((await post(app, '/health', undefined, bearer(configurationToken({ ...keyA, kid: 'random' }, jwks.host, claims)))).json(), authorizationFailed(reason))
  }
  t.strictSame(jwks.requests, [])
})

t.test('JWKS_CACHE_TTL_MS: once a key expires the set is fetched again', async t => {
  const { app, jwks } = await setup(t, { JWKS_CACHE_TTL_MS: '1000' })
  t.strictSame((await post(app, '/health', undefined, bearer(configurationToken(keyA, jwks.host)))).json(), healthOk(1))
  await new Promise(resolve => setTimeout(resolve, 1100))
  t.strictSame((await post(app, '/health', undefined, bearer(configurationToken(keyA, jwks.host)))).json(), healthOk(2))
  t.equal(jwks.requests.length, 2)
})

t.test('a JWKS that cannot be had: down, an error, not JSON, no keys, no answer in time', async t => {
  const jwks = await startJwksServer([keyA])
  const down = jwks.host
  await jwks.close()
  const { app } = await buildRelay(t, { RELAY_PUBLIC_URL, JWKS_HOSTS: down, JWKS_ALLOW_HTTP: '1' })
  t.strictSame((await post(app, '/health', undefined, bearer(configurationToken(keyA, down)))).json(), authorizationFailed(REASONS.wrongJwksHost), 'down')

  const large = await setup(t)
  large.jwks.keys = [keyA.jwk, { kid: 'padding', kty: 'oct', k: 'x'.repeat(1_100_000) }]
  t.strictSame((await post(large.app, '/health', undefined, bearer(configurationToken(keyA, large.jwks.host)))).json(), authorizationFailed(REASONS.wrongJwksHost), 'a JWKS over 1 MB is not read')

  for (const mode of ['error 500', 'not json', 'no keys', 'hang'] as const) {
    const { app, jwks } = await setup(t, { JWKS_TIMEOUT_MS: '300' })
    jwks.mode = mode
    t.strictSame((await post(app, '/health', undefined, bearer(configurationToken(keyA, jwks.host)))).json(), authorizationFailed(REASONS.wrongJwksHost), mode)
    t.equal(jwks.requests.length, 1, `${mode}: asked once`)
  }
})

t.test('a hung JWKS fetch is waited for once: later calls time out on the same fetch', async t => {
  const { app, jwks } = await setup(t, { JWKS_TIMEOUT_MS: '200' })
  jwks.mode = 'hang'
  for (let i = 0; i < 3; i++) {
    t.strictSame((await post(app, '/health', undefined, bearer(configurationToken(keyA, jwks.host)))).json(), authorizationFailed(REASONS.wrongJwksHost))
  }
  t.equal(jwks.requests.length, 1)
})

t.test('keys the set holds under the kid but that cannot verify RS256: the signature fails', async t => {
  const { app, jwks } = await setup(t)
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })
  jwks.keys = [{ ...ec, kid: 'ec-key' }, { kty: 'oct', k: 'c2VjcmV0', kid: 'oct-key' }]
  for (const kid of ['ec-key', 'oct-key']) {
    t.strictSame((await post(app, '/health', undefined, bearer(configurationToken({ ...keyA, kid }, jwks.host)))).json(), authorizationFailed(REASONS.wrongJwksKey), kid)
  }
})

t.test('http is used only for loopback hosts with JWKS_ALLOW_HTTP; otherwise https', async t => {
  const jwks = await startJwksServer([keyA])
  t.teardown(() => jwks.close())
  // without JWKS_ALLOW_HTTP the relay speaks TLS to the plain-http server, which fails
  const { app } = await buildRelay(t, { RELAY_PUBLIC_URL, JWKS_HOSTS: jwks.host })
  t.strictSame((await post(app, '/health', undefined, bearer(configurationToken(keyA, jwks.host)))).json(), authorizationFailed(REASONS.wrongJwksHost))
  t.equal(jwks.requests.length, 0, 'no plain-http request was made')
})

t.test('both schemes at once: an HS256 token and a configuration token are both accepted', async t => {
  const { app, jwks } = await setup(t)
  t.strictSame((await post(app, '/health', undefined, bearer(token()))).json(), healthOk(1), 'HS256')
  t.strictSame((await post(app, '/health', undefined, bearer(configurationToken(keyA, jwks.host)))).json(), healthOk(2), 'RS256')
  const publicPem = keyA.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
  const rsaPublicPem = (await import('node:crypto')).createPublicKey(publicPem).export({ format: 'pem', type: 'spki' }) as string
  const claims = { jwks_host: jwks.host, aud: RELAY_PUBLIC_URL, key: C1FAPP_KEY }
  const confused = [
    ['HS256 signed with the RSA public key', createSigner({ key: rsaPublicPem, algorithm: 'HS256', kid: 'key-a' })(claims)],
    ['HS256 signed with the public JWK', createSigner({ key: JSON.stringify(keyA.jwk), algorithm: 'HS256', kid: 'key-a' })(claims)],
    ['RS256 header, HMAC with SECRET_KEY', (() => {
      const hs = createSigner({ key: SECRET_KEY, algorithm: 'HS256' })(claims).split('.')
      return [Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'key-a' })).toString('base64url'), hs[1], hs[2]].join('.')
    })()]
  ]
  for (const [name, jwt] of confused) {
    const reason = name.startsWith('RS256') ? REASONS.wrongJwksKey : REASONS.wrongKey
    t.strictSame((await post(app, '/health', undefined, bearer(jwt))).json(), authorizationFailed(reason), name)
  }
})

t.test('only the configuration token (no SECRET_KEY): HS256 tokens are refused', async t => {
  const { app, jwks } = await setup(t, { SECRET_KEY: undefined })
  t.strictSame((await post(app, '/health', undefined, bearer(configurationToken(keyA, jwks.host)))).json(), healthOk(1))
  t.strictSame((await post(app, '/health', undefined, bearer(token()))).json(), authorizationFailed(REASONS.wrongKey))
  t.strictSame((await post(app, '/health', undefined, bearer('not-a-jwt'))).json(), authorizationFailed(REASONS.wrongStructure))
  t.strictSame((await post(app, '/health', undefined, {})).json(), authorizationFailed(REASONS.noHeader))
})

t.test('only the legacy token (no RELAY_PUBLIC_URL): configuration tokens are refused unfetched', async t => {
  const jwks = await startJwksServer([keyA])
  t.teardown(() => jwks.close())
  const { app } = await buildRelay(t, { JWKS_HOSTS: jwks.host, JWKS_ALLOW_HTTP: '1' })
  t.strictSame((await post(app, '/health', undefined, bearer(configurationToken(keyA, jwks.host)))).json(), authorizationFailed(REASONS.wrongKey))
  t.strictSame(jwks.requests, [])
})

t.test('the CTR_ENTITIES_LIMIT claim sets the limit of that call', async t => {
  const { app, jwks, simulator } = await setup(t, { CTR_ENTITIES_LIMIT: '3' })
  const records = Array.from({ length: 1005 }, (_, i) => ({
    feed_label: ['Phishtank'],
    domain: ['phish.example'],
    reportime: [`2026-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`],
    confidence: [90],
    assessment: ['phishing']
  }))
  simulator.script('*', { body: records })
  const sightings = async (claim: unknown, name: string) => {
    const jwt = configurationToken(keyA, jwks.host, { CTR_ENTITIES_LIMIT: claim })
    const body = observeBody(t, await post(app, '/observe/observables', [{ type: 'domain', value: 'phish.example' }], bearer(jwt)), name)
    return body.data.sightings.count
  }
  t.equal(await sightings(1, 'observe-claim-limit-1'), 1, 'a number')
  t.equal(await sightings('2', 'observe-claim-limit-2'), 2, 'a numeric string')
  t.equal(await sightings(1000, 'observe-claim-limit-1000'), 1000, 'the maximum')
  t.equal(await sightings(5000, 'observe-claim-limit-5000'), 1000, 'more than 1000 means 1000')
  for (const unusable of [0, -4, 1.5, 'ten', '', null, true, [5], undefined]) {
    t.equal(await sightings(unusable, 'observe-claim-limit-unusable'), 3, `${JSON.stringify(unusable)}: the environment's limit`)
  }
  const hs256 = observeBody(t, await post(app, '/observe/observables', [{ type: 'domain', value: 'phish.example' }], bearer(token({ key: C1FAPP_KEY, CTR_ENTITIES_LIMIT: 1 }))), 'observe-hs256-limit')
  t.equal(hs256.data.sightings.count, 3, 'the legacy token keeps the environment\'s limit')
})

t.test('a configuration token verified once is still refused once it expires', async t => {
  const { app, jwks } = await setup(t)
  const exp = now() + 2
  const headers = bearer(configurationToken(keyA, jwks.host, { exp }))
  for (let i = 0; i < 2; i++) t.strictSame((await post(app, '/health', undefined, headers)).json(), healthOk(i + 1), `call ${i + 1}`)
  await new Promise(resolve => setTimeout(resolve, exp * 1000 - Date.now() + 50))
  t.strictSame((await post(app, '/health', undefined, headers)).json(), authorizationFailed(REASONS.expired))
})
