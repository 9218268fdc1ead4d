// lib/authorization.ts: which scheme a token asks for, and the checks of the configuration token.
import t from 'tap'
import {
  allowedJwksHost, checkAudience, claimedEntitiesLimit, claimedSightings, isLoopbackHost, jwksOrigin, tokenKid, REASONS, tokenScheme
} from '../../lib/authorization.js'
import { entitiesLimit } from '../../lib/entities-limit.js'

const failure = (reason: string) => ({ name: 'RelayError', code: 'authorization error', message: `Authorization failed: ${reason}` })

t.test('the scheme is chosen by alg, and only among the schemes that are on', async t => {
  const both = { legacy: true, configuration: true }
  t.equal(tokenScheme('HS256', both), 'legacy')
  t.equal(tokenScheme('RS256', both), 'configuration')
  t.equal(tokenScheme('HS256', { legacy: true, configuration: false }), 'legacy')
  t.equal(tokenScheme('RS256', { legacy: false, configuration: true }), 'configuration')
  for (const [alg, on] of [
    ['HS256', { legacy: false, configuration: true }],
    ['RS256', { legacy: true, configuration: false }],
    ['none', both], ['NONE', both], ['hs256', both], ['HS512', both], ['RS512', both], ['PS256', both], ['ES256', both],
    [undefined, both], [['HS256'], both]
  ] as const) {
    t.throws(() => tokenScheme(alg, on), failure(REASONS.wrongKey), `${JSON.stringify(alg)} with ${JSON.stringify(on)}`)
  }
})

t.test('jwks_host: present, a string, on the allow-list (without case)', async t => {
  const allowList = ['visibility.amp.cisco.com', '127.0.0.1:8443']
  t.equal(allowedJwksHost({ jwks_host: 'Visibility.AMP.Cisco.com' }, allowList), 'visibility.amp.cisco.com')
  t.equal(allowedJwksHost({ jwks_host: '127.0.0.1:8443' }, allowList), '127.0.0.1:8443')
  for (const host of [undefined, '', 5, null, ['visibility.amp.cisco.com']]) {
    t.throws(() => allowedJwksHost({ jwks_host: host }, allowList), failure(REASONS.jwksHostMissing), JSON.stringify(host))
  }
  for (const host of ['visibility.eu.amp.cisco.com', 'visibility.amp.cisco.com.evil.example', 'evil.example/visibility.amp.cisco.com',
    'visibility.amp.cisco.com:443', ' visibility.amp.cisco.com', '127.0.0.1']) {
    t.throws(() => allowedJwksHost({ jwks_host: host }, allowList), failure(REASONS.wrongJwksHost), host)
  }
})

t.test('kid', async t => {
  t.equal(tokenKid({ kid: 'k1' }), 'k1')
  for (const kid of [undefined, '', 1]) t.throws(() => tokenKid({ kid }), failure(REASONS.kidNotFound))
})

t.test('loopback hosts, and the JWKS origin: http only for them, and only with JWKS_ALLOW_HTTP', async t => {
  for (const host of ['127.0.0.1', '127.0.0.1:9000', '127.255.255.254:1', '127.1.2.3', 'localhost', 'localhost:8080', '[::1]', '[::1]:8443']) {
    t.ok(isLoopbackHost(host), host)
    t.equal(jwksOrigin(host, true), `http://${host}`)
    t.equal(jwksOrigin(host, false), `https://${host}`)
  }
  for (const host of ['visibility.amp.cisco.com', '128.0.0.1', '10.0.0.1:80', '127.0.0.1.nip.io', '127.0.0.256', 'localhost.example',
    'mylocalhost', '[::2]', '[::ffff:127.0.0.1]', '[::1', '0.0.0.0', '127.1']) {
    t.notOk(isLoopbackHost(host), host)
    t.equal(jwksOrigin(host, true), `https://${host}`, `${host}: https even with JWKS_ALLOW_HTTP`)
  }
})

t.test('aud names this relay, with or without one trailing slash', async t => {
  const url = 'https://relay.example.com'
  for (const aud of [url, `${url}/`, [url], ['https://other.example', `${url}/`]]) {
    t.doesNotThrow(() => checkAudience({ aud }, url), JSON.stringify(aud))
    t.doesNotThrow(() => checkAudience({ aud }, `${url}/`), `${JSON.stringify(aud)} against a URL with a slash`)
  }
  for (const aud of [undefined, '', 'https://relay.example.com.evil.example', 'http://relay.example.com', `${url}//`, `${url}/path`, [], [7], 7]) {
    t.throws(() => checkAudience({ aud }, url), failure(REASONS.wrongAudience), JSON.stringify(aud))
  }
  t.doesNotThrow(() => checkAudience({ aud: 'https://relay.example.com/tr/' }, 'https://relay.example.com/tr'), 'a path is kept')
})

t.test('CTR_ENTITIES_LIMIT: a positive integer as a number or digits; more than 1000 is 1000; else unusable', async t => {
  for (const [raw, limit] of [[1, 1], [250, 250], ['250', 250], [' 7 ', 7], [1000, 1000], ['0001', 1]] as const) {
    t.strictSame(entitiesLimit(raw), { limit, capped: false }, JSON.stringify(raw))
  }
  for (const raw of [1001, '5000', 1e21]) t.strictSame(entitiesLimit(raw), { limit: 1000, capped: true }, JSON.stringify(raw))
  for (const raw of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '', 'ten', '1.5', '-3', '1e3', null, true, [5], {}, undefined]) {
    t.equal(entitiesLimit(raw), undefined, String(raw))
  }
  t.equal(claimedEntitiesLimit({ CTR_ENTITIES_LIMIT: '20' }, 100), 20)
  t.equal(claimedEntitiesLimit({ CTR_ENTITIES_LIMIT: 2000 }, 100), 1000)
  t.equal(claimedEntitiesLimit({ CTR_ENTITIES_LIMIT: 'all' }, 100), 100)
  t.equal(claimedEntitiesLimit({}, 40), 40)
})

t.test('C1FAPP_SIGHTINGS: each or per-feed as written; anything else is unusable and the environment\'s stands', async t => {
  t.equal(claimedSightings({ C1FAPP_SIGHTINGS: 'per-feed' }, 'each'), 'per-feed')
  t.equal(claimedSightings({ C1FAPP_SIGHTINGS: 'each' }, 'per-feed'), 'each')
  for (const unusable of [undefined, null, '', 'Per-Feed', ' per-feed', 'perfeed', 1, true, ['each'], { each: true }]) {
    t.equal(claimedSightings({ C1FAPP_SIGHTINGS: unusable }, 'per-feed'), 'per-feed', JSON.stringify(unusable) ?? 'undefined')
  }
})
