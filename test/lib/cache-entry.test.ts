// lib/cache-entry.ts and lib/redis-url.ts: what the shared cache writes and trusts, and what of
// CACHE_REDIS_URL a log may hold.
import t from 'tap'
import { ENTRY_OVERHEAD_BYTES, entryKey, entryName, openEntry, sealEntry } from '../../lib/cache-entry.js'
import { redisLocation, upstreamsInUse } from '../../lib/redis-url.js'

const key = entryKey('s'.repeat(32))
const name = 'c1fapp-relay:answer:abc'
const body = '[{"feed_label":["Phishtank"],"note":"é ü"}]'
const now = 1_790_000_000_000

t.test('a sealed entry opens under its name until its expiry, and only then', async t => {
  const entry = Buffer.from(sealEntry(key, name, now + 1000, body))
  t.strictSame(openEntry(key, name, entry, now), { body })
  t.strictSame(openEntry(key, name, entry, now + 1000), { problem: 'an expired entry' })
  t.strictSame(openEntry(key, `${name}x`, entry, now), { problem: 'an entry whose HMAC is wrong' }, 'not under another name')
  t.strictSame(openEntry(entryKey('t'.repeat(32)), name, entry, now), { problem: 'an entry whose HMAC is wrong' }, 'not under another secret')
  const later = Buffer.from(entry.toString().replace(String(now + 1000), String(now + 9_000_000)))
  t.strictSame(openEntry(key, name, later, now + 5000), { problem: 'an entry whose HMAC is wrong' }, 'its expiry cannot be moved')
  const tampered = Buffer.from(entry.toString().replace('Phishtank', 'Attacker!'))
  t.strictSame(openEntry(key, name, tampered, now), { problem: 'an entry whose HMAC is wrong' }, 'nor its body changed')
  t.ok(entry.indexOf('\n') <= ENTRY_OVERHEAD_BYTES, 'the header fits the overhead')
  t.not(entryKey('s'.repeat(32)).toString('hex'), Buffer.from('s'.repeat(32)).toString('hex'), 'the secret itself is not the key')
})

t.test('garbage is no entry', async t => {
  for (const garbage of ['', '[]', 'c1fapp-relay/1 1 abc\n[]', `c1fapp-relay/2 ${now} ${'a'.repeat(43)}\n[]`, `c1fapp-relay/1 ${now} ${'a'.repeat(43)}`, `${'x'.repeat(200)}\n[]`]) {
    t.strictSame(openEntry(key, name, Buffer.from(garbage), 0), { problem: 'an entry the relay did not write' }, JSON.stringify(garbage.slice(0, 40)))
  }
})

t.test('entry names: one per endpoint and answer, of a fixed length', async t => {
  const a = entryName('p:', 'https://www.c1fapp.com/cifapp/api/', 'id')
  t.match(a, /^p:[\w-]{43}$/)
  t.not(a, entryName('p:', 'http://127.0.0.1:3001/cifapp/api/', 'id'))
  t.not(a, entryName('p:', 'https://www.c1fapp.com/cifapp/api/', 'id2'))
})

t.test('redisLocation: scheme, host, port and database, whatever else the URL carries', async t => {
  for (const [url, location] of [
    ['redis://cache.example', 'redis://cache.example:6379/0'],
    ['redis://:pw-1@cache.example:6380/3', 'redis://cache.example:6380/3'],
    ['rediss://user:pw-2@cache.example:6390', 'rediss://cache.example:6390/0'],
    ['redis://cache.example:6379/0?password=pw-3', 'redis://cache.example:6379/0'],
    ['redis://cache.example?password=pw-4&db=5', 'redis://cache.example:6379/5'],
    ['redis://cache.example/?db=bad&password=pw-5', 'redis://cache.example:6379/0'],
    ['redis://user:pw-6@[::1]:7000/1#frag', 'redis://[::1]:7000/1']
  ]) {
    t.equal(redisLocation(url), location, url)
    t.notMatch(redisLocation(url), /pw-|user|password/)
  }
})

t.test('upstreamsInUse: what start-up logs', async t => {
  const endpoint = 'https://user:secret@c1fapp.example/cifapp/api/?key=secret#x'
  t.strictSame(upstreamsInUse({ C1FAPP_API_URL: endpoint, CACHE_TTL_S: 0 }), { c1fappApiUrl: 'https://c1fapp.example/cifapp/api/', cache: 'none' })
  t.strictSame(upstreamsInUse({ C1FAPP_API_URL: endpoint, CACHE_TTL_S: 60 }), { c1fappApiUrl: 'https://c1fapp.example/cifapp/api/', cache: 'memory' })
  t.strictSame(upstreamsInUse({ C1FAPP_API_URL: endpoint, CACHE_TTL_S: 60, CACHE_REDIS_URL: 'redis://:secret@cache.example/2?password=secret' }),
    { c1fappApiUrl: 'https://c1fapp.example/cifapp/api/', cache: 'redis', redis: 'redis://cache.example:6379/2' })
})
