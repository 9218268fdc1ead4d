// bin/start-failure.ts: the one line a terminal command prints when it cannot start.
import t from 'tap'
import { ConfigError } from '../../lib/config.js'
import { startFailure } from '../../bin/start-failure.js'

const hint = 'set PORT to a free port, for example PORT=3001 npm run demo (PORT=0 takes any free one)'
const failure = (code: string | undefined, message: string) => Object.assign(new Error(message), { code })

t.test('a port taken or unusable: the reason and the variable to set', async t => {
  t.equal(startFailure(failure('EADDRINUSE', 'listen EADDRINUSE: address already in use 127.0.0.1:3000'), 'PORT', 'PORT=3001 npm run demo'),
    `listen EADDRINUSE: address already in use 127.0.0.1:3000: ${hint}`)
  t.equal(startFailure(failure('EACCES', 'listen EACCES: permission denied 127.0.0.1:80.'), 'PORT', 'PORT=3001 npm run demo'),
    `listen EACCES: permission denied 127.0.0.1:80: ${hint}`, 'a final full stop is not doubled')
  for (const code of ['EADDRNOTAVAIL', 'ERR_SOCKET_BAD_PORT']) t.match(startFailure(failure(code, 'x'), 'PORT', 'PORT=3001 npm run demo'), `x: ${hint}`)
})

t.test('a configuration error: its message, with the hint when it names the variable', async t => {
  const port = new ConfigError('Invalid configuration: PORT is invalid: it must be the TCP port the server listens on (0–65535)')
  t.equal(startFailure(port, 'PORT', 'PORT=3001 npm run demo'), `${port.message}; ${hint}`)
  const level = new ConfigError('Invalid configuration: LOG_LEVEL is invalid: it must be …')
  t.equal(startFailure(level, 'PORT', 'PORT=3001 npm run demo'), level.message)
})

t.test('anything else is a bug: no line, so that it keeps its stack', async t => {
  t.equal(startFailure(new Error('boom'), 'PORT', 'x'), undefined)
  t.equal(startFailure(failure('ECONNRESET', 'reset'), 'PORT', 'x'), undefined)
  t.equal(startFailure('a string', 'PORT', 'x'), undefined)
})
