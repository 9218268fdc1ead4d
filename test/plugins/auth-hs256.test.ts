// Contract §1.2: the legacy HS256 token and every reason an authorization fails.
import t from 'tap'
import { createSigner } from 'fast-jwt'
import { REASONS } from '../../lib/authorization.js'
import { authorizationFailed, bearer, buildRelay, C1FAPP_KEY, post, SECRET_KEY, token, healthOk } from '../helper.js'

const AUTHENTICATED_ROUTES: Array<[string, unknown]> = [
  ['/health', undefined],
  ['/observe/observables', [{ type: 'domain', value: 'example.com' }]],
  ['/deliberate/observables', []],
  ['/refer/observables', []],
  ['/respond/observables', []],
  ['/respond/trigger', {}]
]

function unsigned (header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part(header)}.${part(payload)}.`
}

const now = () => Math.floor(Date.now() / 1000)

t.test('every authenticated route refuses a bad token with the exact reason, and asks C1fApp nothing', async t => {
  const { app, simulator } = await buildRelay(t)
  const cases: Array<[string, Record<string, string>, string]> = [
    ['no header', {}, 'Authorization header is missing'],
    ['an empty header', { authorization: '' }, 'Authorization header is missing'],
    ['Basic', { authorization: 'Basic dXNlcjpwYXNz' }, 'Wrong authorization type'],
    ['Bearer without a token', { authorization: 'Bearer' }, 'Authorization header is missing'],
    ['Bearer and blanks', { authorization: ' bearer   ' }, 'Authorization header is missing'],
    ['two tokens', { authorization: `Bearer ${token()} ${token()}` }, 'Wrong authorization type'],
    ['not a JWT', bearer('not-a-jwt'), 'Wrong JWT structure'],
    ['two parts', bearer('abc.def'), 'Wrong JWT structure'],
    ['a header that is no JSON', bearer('bm90IGpzb24.e30.c2ln'), 'Wrong JWT structure'],
    ['another secret', bearer(token(undefined, 'another-secret-that-is-long-enough-0123')), 'Failed to decode JWT with provided key'],
    ['alg none', bearer(unsigned({ alg: 'none', typ: 'JWT' }, { key: 'k' })), 'Failed to decode JWT with provided key'],
    ['HS512 with the right secret', bearer(createSigner({ key: SECRET_KEY, algorithm: 'HS512' })({ key: 'k' })), 'Failed to decode JWT with provided key'],
    ['a tampered payload', bearer(token().replace(/\.[^.]+\./, `.${Buffer.from('{"key":"other"}').toString('base64url')}.`)), 'Failed to decode JWT with provided key'],
    ['expired', bearer(token({ key: 'k', exp: now() - 60 })), REASONS.expired],
    ['not yet valid', bearer(token({ key: 'k', nbf: now() + 3600 })), REASONS.notYetValid],
    ['expired, with another secret', bearer(token({ key: 'k', exp: now() - 60 }, 'another-secret-that-is-long-enough-0123')), 'Failed to decode JWT with provided key'],
    ['not yet valid, with another secret', bearer(token({ key: 'k', nbf: now() + 3600 }, 'another-secret-that-is-long-enough-0123')), 'Failed to decode JWT with provided key'],
    ['no key claim', bearer(token({ user: 'x' })), 'Wrong JWT payload structure'],
    ['a numeric key', bearer(token({ key: 42 })), 'Wrong JWT payload structure'],
    ['an empty key', bearer(token({ key: '' })), 'Wrong JWT payload structure'],
    ['a payload that is no object', bearer(`${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from('"text"').toString('base64url')}.sig`), 'Wrong JWT payload structure']
  ]
  for (const [route, body] of AUTHENTICATED_ROUTES) {
    for (const [name, headers, reason] of cases) {
      const response = await post(app, route, body, headers)
      t.equal(response.statusCode, 200, `${route}, ${name}: HTTP 200`)
      t.strictSame(response.json(), authorizationFailed(reason), `${route}, ${name}`)
    }
  }
  t.equal(simulator.requests.length, 0, 'C1fApp was never asked')
})

t.test('a valid token: scheme case-insensitive, exp and nbf honoured when valid', async t => {
  const { app, simulator } = await buildRelay(t)
  for (const [i, headers] of [
    bearer(),
    { authorization: `bearer ${token()}` },
    { authorization: `BEARER   ${token()} ` },
    bearer(token({ key: simulator.requests.length === 0 ? 'demo-c1fapp-key-0000000000000000' : '', exp: now() + 600, nbf: now() - 10 }))
  ].entries()) {
    t.strictSame((await post(app, '/health', undefined, headers)).json(), healthOk(i + 1))
  }
})

t.test('the key of the token is the key sent to C1fApp', async t => {
  const { app, simulator } = await buildRelay(t)
  const response = await post(app, '/health', undefined, bearer(token({ key: 'a-users-own-key' })))
  t.strictSame(response.json(), { errors: [{ type: 'fatal', code: 'forbidden', message: 'Unexpected response from C1fApp: Invalid API key' }] })
  t.equal(JSON.parse(simulator.requests[0].body).key, 'a-users-own-key')
})

t.test('a token verified once is still refused once it expires (verified tokens are remembered only until then)', async t => {
  const { app } = await buildRelay(t)
  const exp = now() + 2
  const headers = bearer(token({ key: C1FAPP_KEY, exp }))
  for (let i = 0; i < 2; i++) t.strictSame((await post(app, '/health', undefined, headers)).json(), healthOk(i + 1), `call ${i + 1}`)
  await new Promise(resolve => setTimeout(resolve, exp * 1000 - Date.now() + 50))
  t.strictSame((await post(app, '/health', undefined, headers)).json(), authorizationFailed(REASONS.expired))
})
