// lib/jwks-cache.ts on its own clock, against a real JWKS server on loopback: when a key set is
// fetched again, when a new key is accepted, when a removed one is refused, how long a stale set
// is used while its host is down.
import t, { type Test } from 'tap'
import { FAILED_FETCH_RETRY_MS, JwksCache, readKeySet, UNKNOWN_KID_REFETCH_MS } from '../../lib/jwks-cache.js'
import { signingKey, startJwksServer } from '../support/jwks.js'

const keyA = signingKey('key-a')
const keyB = signingKey('key-b')
const TTL = 600_000

async function setup (t: Test) {
  const jwks = await startJwksServer([keyA])
  t.teardown(() => jwks.close())
  const clock = { now: 1_000_000 }
  const cache = new JwksCache(async host => {
    const response = await fetch(`http://${host}/.well-known/jwks`)
    if (response.status !== 200) throw new Error(`HTTP ${response.status}`)
    return readKeySet(await response.json())
  }, TTL, () => clock.now)
  const found = async (kid: string) => (await cache.key(jwks.host, kid)).found
  return { jwks, clock, cache, found }
}

t.test('an unknown kid re-fetches at most once per 30 s; a new key is accepted within 30 s', async t => {
  const { jwks, clock, found } = await setup(t)
  t.equal(await found('key-a'), true)
  jwks.keys = [keyA.jwk, keyB.jwk]
  t.equal(await found('key-b'), false, 'just fetched: the cached set answers')
  clock.now += UNKNOWN_KID_REFETCH_MS - 1
  t.equal(await found('key-b'), false)
  t.equal(jwks.requests.length, 1)
  clock.now += 1
  t.equal(await found('key-b'), true, '30 s after the last fetch, the new key')
  t.equal(jwks.requests.length, 2)
  t.equal(await found('key-c'), false)
  t.equal(jwks.requests.length, 2, 'another unknown kid waits 30 s again')
})

t.test('a key that a fresh fetch no longer lists is refused from then on', async t => {
  const { jwks, clock, found } = await setup(t)
  jwks.keys = [keyA.jwk, keyB.jwk]
  t.equal(await found('key-b'), true)
  jwks.keys = [keyA.jwk]
  clock.now += TTL - 1
  t.equal(await found('key-b'), true, 'within the TTL the cached set answers')
  clock.now += 1
  t.equal(await found('key-b'), false, 'past the TTL the set is fetched again and key-b is gone')
  for (let i = 0; i < 20; i++) {
    clock.now += UNKNOWN_KID_REFETCH_MS
    t.equal(await found('key-b'), false, 'and stays refused, however often it is tried')
  }
  t.equal(await found('key-a'), true)
})

t.test('a stale set is used only while the host cannot be reached, for at most one TTL more', async t => {
  const { jwks, clock, cache, found } = await setup(t)
  t.equal(await found('key-a'), true)
  jwks.mode = 'error 500'
  clock.now += TTL
  t.equal(await found('key-a'), true, 'host down past the TTL: the stale set')
  t.equal(jwks.requests.length, 2)
  clock.now += FAILED_FETCH_RETRY_MS - 1
  t.equal(await found('key-a'), true)
  t.equal(jwks.requests.length, 2, 'a failed fetch is not retried within 5 s')
  clock.now += 1
  t.equal(await found('key-a'), true)
  t.equal(jwks.requests.length, 3)
  clock.now = 1_000_000 + 2 * TTL
  t.strictSame(await cache.key(jwks.host, 'key-a'), { found: false, reason: 'unreachable', error: 'HTTP 500' }, 'two TTLs after the last good fetch: nothing')
  jwks.mode = 'serve'
  clock.now += FAILED_FETCH_RETRY_MS
  t.equal(await found('key-a'), true, 'back once the host answers')
})

t.test('a host that never answered: unreachable, one fetch per 5 s', async t => {
  const { jwks, clock, cache } = await setup(t)
  jwks.mode = 'not json'
  const lookups = await Promise.all([1, 2, 3].map(async () => await cache.key(jwks.host, 'key-a')))
  for (const lookup of lookups) t.match(lookup, { found: false, reason: 'unreachable' })
  t.equal(jwks.requests.length, 1, 'one fetch in flight for every call')
  clock.now += FAILED_FETCH_RETRY_MS
  await cache.key(jwks.host, 'key-a')
  t.equal(jwks.requests.length, 2)
})

t.test('readKeySet: RSA keys by kid; keys that cannot verify RS256 are known but unusable', async t => {
  const set = readKeySet({ keys: [keyA.jwk, { kty: 'EC', kid: 'ec' }, { kty: 'RSA', kid: 'broken', n: 'x' }, { kty: 'RSA' }, null, { ...keyB.jwk, kid: 'key-a' }] })
  t.strictSame([...set.keys()], ['key-a', 'ec', 'broken'])
  t.match(set.get('key-a'), /^-----BEGIN PUBLIC KEY-----/)
  t.equal(set.get('ec'), undefined)
  t.equal(set.get('broken'), undefined)
  for (const document of [{}, null, { keys: 'none' }, []]) t.throws(() => readKeySet(document), /no JWKS/)
})
