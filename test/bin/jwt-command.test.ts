// bin/jwt-command.ts: the logic of `c1fapp-relay jwt` (test/bin/cli.test.ts runs the command itself).
import t from 'tap'
import { createVerifier } from 'fast-jwt'
import settings from '../../module_settings.json' with { type: 'json' }
import {
  checkKey, generateSecret, givenKey, jwtReport, keyFromInput, legacyToken, moduleCreationLinks, parseCommand, parseJwtArguments, settingClaims,
  typeHidden, UsageError, type HiddenInput
} from '../../bin/jwt-command.js'

t.test('commands', async t => {
  t.strictSame(parseCommand(['jwt', '--key', 'k']), { command: 'jwt', args: ['--key', 'k'] })
  for (const help of ['help', '--help', '-h']) t.strictSame(parseCommand([help]), { command: 'help' })
  t.throws(() => parseCommand([]), { name: 'UsageError', message: /^No command given\.\n\nUsage: / })
  t.throws(() => parseCommand(['sign']), { name: 'UsageError', message: /^Unknown command: sign\.\n\nUsage: / })
})

t.test('jwt arguments', async t => {
  const secret = 's'.repeat(32)
  t.strictSame(parseJwtArguments([]), { key: undefined, secret: undefined, help: false })
  t.strictSame(parseJwtArguments(['--key', ' my-key\t', '--secret', secret]), { key: 'my-key', secret, help: false }, 'a key is trimmed, a secret is not')
  t.strictSame(parseJwtArguments(['--key=k', '-h']), { key: 'k', secret: undefined, help: true })
  t.equal(parseJwtArguments(['--daily-limit', '50']).dailyLimit, 50)
  t.equal(parseJwtArguments(['--daily-limit=10000000']).dailyLimit, 10000000)
  for (const limit of ['0', '-5', '2.5', 'fifty', '10000001', '']) {
    t.throws(() => parseJwtArguments([`--daily-limit=${limit}`]), new UsageError('--daily-limit must be a whole number of requests a day, from 1 to 10000000.'), JSON.stringify(limit))
  }
  t.strictSame(parseJwtArguments(['--secret', ` ${secret} `]).secret, ` ${secret} `)
  t.strictSame(parseJwtArguments(['--key', 'k', '--sightings', 'per-feed']), { key: 'k', secret: undefined, help: false, sightings: 'per-feed' })
  t.strictSame(parseJwtArguments(['--sightings=each']).sightings, 'each')
  for (const mode of ['', 'PER-FEED', 'feed']) {
    t.throws(() => parseJwtArguments(['--sightings', mode]), { name: 'UsageError', message: /^--sightings must be each or per-feed\.\n\nUsage: c1fapp-relay jwt/ }, `--sightings ${mode}`)
  }
  t.throws(() => parseJwtArguments(['--key', '']), new UsageError('The C1fApp API key is empty.'))
  t.throws(() => parseJwtArguments(['--secret', 's'.repeat(31)]), {
    message: '--secret is too short: SECRET_KEY must be at least 32 characters (leave --secret out to get a random one).'
  })
  for (const args of [['--key'], ['--verbose'], ['positional'], ['--help=yes']]) {
    t.throws(() => parseJwtArguments(args), { name: 'UsageError', message: /\n\nUsage: c1fapp-relay jwt/ }, JSON.stringify(args))
  }
  t.equal(checkKey(' k '), 'k')
  t.throws(() => checkKey('\r\n'), { message: 'The C1fApp API key is empty.' })
})

t.test('the key: --key, then C1FAPP_API_KEY, then standard input', async t => {
  const none = { help: false }
  t.equal(givenKey({ ...none, key: 'from-option' }, { C1FAPP_API_KEY: 'from-env' }), 'from-option', '--key first')
  t.equal(givenKey(none, { C1FAPP_API_KEY: ' from-env\n' }), 'from-env', 'then the environment, trimmed')
  t.equal(givenKey(none, { C1FAPP_API_KEY: '' }), undefined, 'an empty variable is unset')
  t.equal(givenKey(none, {}), undefined, 'else none yet: standard input or the terminal')
  t.throws(() => givenKey(none, { C1FAPP_API_KEY: '  ' }), new UsageError('The C1fApp API key is empty.'))
  t.equal(keyFromInput('piped-key\n'), 'piped-key', 'a trailing newline is no part of it')
  t.equal(keyFromInput('piped-key'), 'piped-key')
  t.throws(() => keyFromInput(''), {
    message: 'No C1fApp API key: standard input is empty and is not a terminal to ask on. Pipe the key in, or set C1FAPP_API_KEY, or pass --key.'
  })
  t.throws(() => keyFromInput(' \r\n'), { name: 'UsageError', message: /^No C1fApp API key: / })
  t.throws(() => keyFromInput('key\nsecond line\n'), new UsageError('Standard input holds more than one line: give it the C1fApp API key alone.'))
})

t.test('a random alphanumeric SECRET_KEY', async t => {
  const secrets = Array.from({ length: 200 }, () => generateSecret())
  for (const secret of secrets) t.match(secret, /^[A-Za-z0-9]{64}$/)
  t.equal(new Set(secrets).size, secrets.length, 'no two alike')
  t.equal(new Set(secrets.join('')).size, 62, 'every one of the 62 characters is drawn')
  t.match(generateSecret(40), /^[A-Za-z0-9]{40}$/)
})

t.test('the legacy token: exactly the original header and payload, HS256 with the secret', async t => {
  const secret = generateSecret()
  const jwt = legacyToken('a "quoted" key', secret)
  const [header, payload] = jwt.split('.').slice(0, 2).map(part => Buffer.from(part, 'base64url').toString())
  t.equal(header, '{"alg":"HS256","typ":"JWT"}')
  t.equal(payload, '{"key":"a \\"quoted\\" key"}')
  t.strictSame(createVerifier({ key: secret, algorithms: ['HS256'] })(jwt), { key: 'a "quoted" key' })
  t.throws(() => createVerifier({ key: generateSecret(), algorithms: ['HS256'] })(jwt), { code: 'FAST_JWT_INVALID_SIGNATURE' })
  const limited = legacyToken('k', secret, settingClaims(parseJwtArguments(['--daily-limit', '50', '--sightings', 'per-feed'])))
  t.equal(Buffer.from(limited.split('.')[1], 'base64url').toString(), '{"key":"k","C1FAPP_DAILY_LIMIT":50,"C1FAPP_SIGHTINGS":"per-feed"}', 'the module settings after the key')
  t.strictSame(settingClaims(parseJwtArguments([])), {}, 'none given: none carried')
})

t.test('module-creation links from module_settings.json, and the text printed', async t => {
  t.strictSame(moduleCreationLinks(settings), [
    { region: 'US', url: 'https://visibility.amp.cisco.com/settings/modules/available/18aeffa4-0bf9-42a3-8dcb-fcb8842aa2a3/new' },
    { region: 'EU', url: 'https://visibility.eu.amp.cisco.com/settings/modules/available/24e929a6-b423-4931-805a-36974f5767f3/new' },
    { region: 'APJC', url: 'https://visibility.apjc.amp.cisco.com/settings/modules/available/7adc573a-add3-4102-b884-067195c2daed/new' }
  ])
  t.equal(jwtReport({ jwt: 'eyJ.x.y', secret: 'S'.repeat(64), settings }), `JWT=eyJ.x.y
SECRET_KEY=${'S'.repeat(64)}

1. Give the relay this SECRET_KEY; it verifies the JWT with it:
     plain Node.js     SECRET_KEY=<SECRET_KEY> node dist/server.js
     a container       docker run -e SECRET_KEY=<SECRET_KEY> … <image>
     AWS Lambda (SAM)  an SSM SecureString: aws ssm put-parameter --type SecureString --name /c1fapp-relay/secret-key --value <SECRET_KEY>,
                       then sam deploy --parameter-overrides SecretKeyParameter=/c1fapp-relay/secret-key (docs/deploy.md)
2. Create the C1fApp module in your Threat Response region, with the relay's public
   https URL and the JWT:
     US    https://visibility.amp.cisco.com/settings/modules/available/18aeffa4-0bf9-42a3-8dcb-fcb8842aa2a3/new
     EU    https://visibility.eu.amp.cisco.com/settings/modules/available/24e929a6-b423-4931-805a-36974f5767f3/new
     APJC  https://visibility.apjc.amp.cisco.com/settings/modules/available/7adc573a-add3-4102-b884-067195c2daed/new

Keep both secret: the JWT carries your C1fApp API key.`)
})

t.test('the unechoed prompt: keystrokes in raw terminal chunks', async t => {
  const type = (...chunks: string[]): HiddenInput => {
    let input: HiddenInput = { value: '', state: 'typing' }
    for (const chunk of chunks) input = typeHidden(input, chunk)
    return input
  }
  t.strictSame(type('ab', 'c'), { value: 'abc', state: 'typing' })
  t.strictSame(type('abc\rignored'), { value: 'abc', state: 'done' }, 'Enter ends it; what follows in the chunk is not read')
  t.strictSame(type('abc\n'), { value: 'abc', state: 'done' })
  t.strictSame(type('abc\u0004'), { value: 'abc', state: 'done' }, 'Ctrl-D ends it')
  t.strictSame(type('abc\u0003'), { value: '', state: 'cancelled' }, 'Ctrl-C cancels')
  t.strictSame(type('abx\u007fc\r'), { value: 'abc', state: 'done' }, 'Backspace (DEL)')
  t.strictSame(type('abx\bc\r'), { value: 'abc', state: 'done' }, 'Backspace (BS)')
  t.strictSame(type('\u007f\u007fa\r'), { value: 'a', state: 'done' }, 'Backspace on nothing')
  t.strictSame(type('ké🔑\u007f\r'), { value: 'ké', state: 'done' }, 'Backspace erases one character, not one code unit')
  t.strictSame(type('wrong\u0015right\r'), { value: 'right', state: 'done' }, 'Ctrl-U erases the line')
  t.strictSame(type('a\u001b[Db\u001b[3~c\u001bOAd\t\r'), { value: 'abcd', state: 'done' }, 'arrows, Delete, Tab are not text')
  t.strictSame(type('\u001b[200~pasted-key\u001b[201~\r'), { value: 'pasted-key', state: 'done' }, 'bracketed paste')
})
