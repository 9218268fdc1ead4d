// `c1fapp-relay jwt` as a module owner runs it: in a child process, with and without a terminal.
import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import settings from '../../module_settings.json' with { type: 'json' }
import { bearer, buildRelay, C1FAPP_KEY, post, healthOk } from '../helper.js'
import { DEMO_OBSERVABLES } from '../../simulator/dataset.js'

// Each run starts tsx: on a small machine under tap's parallel load that takes seconds, hence the
// runs in parallel and a file time-out above tap's default 30 s.
t.setTimeout(180000)

const root = fileURLToPath(new URL('../..', import.meta.url))
const env = { PATH: process.env.PATH as string }

interface Run { code: number | null, stdout: string, stderr: string }

/** Runs the command under tsx, nothing of the test process leaking in; stdin is a pipe, not a terminal. */
async function cli (...args: string[]): Promise<Run> {
  return cliWith({}, ...args)
}

/** As cli, with `input` on standard input and `extra` in the environment. */
async function cliWith ({ input = '', extra = {} }: { input?: string, extra?: Record<string, string> }, ...args: string[]): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/cli.ts', ...args], { cwd: root, env: { ...env, ...extra } })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => { stdout += chunk })
  child.stderr.on('data', chunk => { stderr += chunk })
  child.stdin.end(input)
  const [code] = await once(child, 'close')
  return { code, stdout, stderr }
}

function printed (stdout: string): { jwt: string, secret: string } {
  return { jwt: /^JWT=(\S+)$/m.exec(stdout)![1], secret: /^SECRET_KEY=(\S+)$/m.exec(stdout)![1] }
}

const decoded = (jwt: string) => jwt.split('.').slice(0, 2).map(part => Buffer.from(part, 'base64url').toString())

t.test('jwt --key: the token, its SECRET_KEY, how to set it, the module links; the relay accepts the token', async t => {
  const [run, again] = await Promise.all([cli('jwt', '--key', C1FAPP_KEY), cli('jwt', '--key', C1FAPP_KEY)])
  t.equal(run.code, 0)
  t.equal(run.stderr, '')
  const { jwt, secret } = printed(run.stdout)
  t.strictSame(decoded(jwt), ['{"alg":"HS256","typ":"JWT"}', `{"key":"${C1FAPP_KEY}"}`], 'header and payload, exactly')
  t.match(secret, /^[A-Za-z0-9]{64}$/, 'a random 64-character alphanumeric SECRET_KEY')
  for (const line of ['SECRET_KEY=<SECRET_KEY> node dist/server.js', 'docker run -e SECRET_KEY=<SECRET_KEY>', '--type SecureString --name /c1fapp-relay/secret-key --value <SECRET_KEY>']) {
    t.ok(run.stdout.includes(line), line)
  }
  t.ok(run.stdout.includes('https://visibility.amp.cisco.com/settings/modules/available/18aeffa4-0bf9-42a3-8dcb-fcb8842aa2a3/new'), 'US')
  t.ok(run.stdout.includes('https://visibility.eu.amp.cisco.com/settings/modules/available/24e929a6-b423-4931-805a-36974f5767f3/new'), 'EU')
  t.ok(run.stdout.includes('https://visibility.apjc.amp.cisco.com/settings/modules/available/7adc573a-add3-4102-b884-067195c2daed/new'), 'APJC')
  t.notOk(run.stdout.includes(C1FAPP_KEY), 'the key itself is not printed')

  const { app, simulator } = await buildRelay(t, { SECRET_KEY: secret })
  t.strictSame((await post(app, '/health', undefined, bearer(jwt))).json(), healthOk(1), 'accepted by the relay started with that secret')
  t.equal(JSON.parse(simulator.requests[0].body).key, C1FAPP_KEY)
  const { app: another } = await buildRelay(t)
  t.strictSame((await post(another, '/health', undefined, bearer(jwt))).json().errors[0].message,
    'Authorization failed: Failed to decode JWT with provided key', 'and refused by a relay with another secret')

  t.not(printed(again.stdout).secret, secret, 'every run makes a new secret')
})

t.test('jwt --secret: the given SECRET_KEY signs the token', async t => {
  const secret = 'a-secret-the-owner-already-has-0123456789'
  const run = await cli('jwt', `--key=${C1FAPP_KEY}`, '--secret', secret)
  t.equal(run.code, 0)
  t.equal(printed(run.stdout).secret, secret)
  const { app } = await buildRelay(t, { SECRET_KEY: secret })
  t.strictSame((await post(app, '/health', undefined, bearer(printed(run.stdout).jwt))).json(), healthOk(1))
})

t.test('jwt --daily-limit: the module\'s limit in the token, which the relay keeps to', async t => {
  const run = await cli('jwt', `--key=${C1FAPP_KEY}`, '--daily-limit', '50')
  t.equal(run.code, 0)
  t.equal(decoded(printed(run.stdout).jwt)[1], `{"key":"${C1FAPP_KEY}","C1FAPP_DAILY_LIMIT":50}`)
  const { app } = await buildRelay(t, { SECRET_KEY: printed(run.stdout).secret })
  t.strictSame((await post(app, '/health', undefined, bearer(printed(run.stdout).jwt))).json(), healthOk(1, { limit: 50 }), '/health: the day under the limit')
  const wrong = await cli('jwt', `--key=${C1FAPP_KEY}`, '--daily-limit', 'lots')
  t.equal(wrong.code, 1)
  t.equal(wrong.stderr, '--daily-limit must be a whole number of requests a day, from 1 to 10000000.\n')
})

t.test('jwt --sightings per-feed: the token carries C1FAPP_SIGHTINGS, and the relay answers a sighting per feed', async t => {
  const secret = 'a-secret-the-owner-already-has-0123456789'
  const run = await cli('jwt', `--key=${C1FAPP_KEY}`, '--secret', secret, '--sightings', 'per-feed')
  t.equal(run.code, 0)
  const { jwt } = printed(run.stdout)
  t.equal(decoded(jwt)[1], `{"key":"${C1FAPP_KEY}","C1FAPP_SIGHTINGS":"per-feed"}`)
  const { app } = await buildRelay(t, { SECRET_KEY: secret })
  const body = (await post(app, '/observe/observables', [DEMO_OBSERVABLES[0]], bearer(jwt))).json()
  t.ok(body.data.sightings.docs.every((s: { count: number }) => s.count > 1), 'records counted in a sighting per feed')
  const refused = await cli('jwt', `--key=${C1FAPP_KEY}`, '--sightings', 'all')
  t.equal(refused.code, 1)
  t.match(refused.stderr, /^--sightings must be each or per-feed\./)
})

t.test('the key from C1FAPP_API_KEY or standard input, kept out of the command line', async t => {
  const [fromEnvironment, fromInput, fromBoth, twoLines] = await Promise.all([
    cliWith({ extra: { C1FAPP_API_KEY: C1FAPP_KEY } }, 'jwt'),
    cliWith({ input: `${C1FAPP_KEY}\n` }, 'jwt'),
    cliWith({ input: 'piped-key\n', extra: { C1FAPP_API_KEY: 'environment-key' } }, 'jwt'),
    cliWith({ input: 'a\nb\n' }, 'jwt')
  ])
  for (const [name, run] of [['C1FAPP_API_KEY', fromEnvironment], ['standard input', fromInput]] as const) {
    t.equal(run.code, 0, name)
    t.equal(run.stderr, '', name)
    t.strictSame(decoded(printed(run.stdout).jwt)[1], `{"key":"${C1FAPP_KEY}"}`, name)
  }
  t.strictSame(decoded(printed(fromBoth.stdout).jwt)[1], '{"key":"environment-key"}', 'the environment before standard input')
  t.equal(twoLines.code, 1)
  t.equal(twoLines.stderr, 'Standard input holds more than one line: give it the C1fApp API key alone.\n')
  const { app } = await buildRelay(t, { SECRET_KEY: printed(fromInput.stdout).secret })
  t.strictSame((await post(app, '/health', undefined, bearer(printed(fromInput.stdout).jwt))).json(), healthOk(1), 'the relay accepts it')
})

t.test('bad input: a clear message on stderr, nothing on stdout, exit code 1', async t => {
  const cases: Array<[string[], RegExp]> = [
    [['jwt', '--key', ''], /^The C1fApp API key is empty\.\n$/],
    [['jwt', '--key', '   '], /^The C1fApp API key is empty\.\n$/],
    [['jwt', '--key', 'k', '--secret', 'x'.repeat(31)], /^--secret is too short: SECRET_KEY must be at least 32 characters \(leave --secret out to get a random one\)\.\n$/],
    [['jwt'], /^No C1fApp API key: standard input is empty and is not a terminal to ask on\. Pipe the key in, or set C1FAPP_API_KEY, or pass --key\.\n$/],
    [['jwt', '--bogus'], /^Unknown option '--bogus'.*\n\nUsage: c1fapp-relay jwt /s],
    [[], /^No command given\.\n\nUsage: c1fapp-relay jwt /],
    [['token'], /^Unknown command: token\.\n\nUsage: c1fapp-relay jwt /]
  ]
  const runs = await Promise.all(cases.map(async ([args]) => cli(...args)))
  for (const [i, [args, message]] of cases.entries()) {
    const run = runs[i]
    t.equal(run.code, 1, `${JSON.stringify(args)}: exit code`)
    t.match(run.stderr, message, `${JSON.stringify(args)}: message`)
    t.equal(run.stdout, '', `${JSON.stringify(args)}: nothing on stdout`)
  }
})

t.test('--help', async t => {
  for (const run of await Promise.all([cli('--help'), cli('jwt', '-h')])) {
    t.equal(run.code, 0)
    t.match(run.stdout, /^Usage: c1fapp-relay jwt \[--key <C1fApp API key>\] \[--secret <SECRET_KEY>\] \[--daily-limit <requests>\]\n +\[--sightings each\|per-feed\]\n/)
  }
})

// A real terminal through util-linux `script`, which runs the command on a pseudo-terminal.
const hasScript = spawnSync('script', ['--version']).status === 0

t.test('on a terminal the key is asked for and not echoed', { skip: hasScript ? false : 'util-linux script is not installed' }, async t => {
  const onTerminal = async (keys: string): Promise<Run> => {
    const command = `${process.execPath} --import tsx bin/cli.ts jwt`
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: root, env })
    // if the test fails before the command ends, a command still waiting for a key must not outlive it
    t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
    let stdout = ''
    child.stderr.resume()
    const prompted = new Promise<void>(resolve => child.stdout.on('data', chunk => {
      stdout += chunk
      if (stdout.includes(`${settings.jwt.key} (not shown as you type): `)) resolve()
    }))
    await prompted
    child.stdin.write(keys)
    const [code] = await once(child, 'close')
    return { code, stdout: stdout.replace(/\r\n/g, '\n'), stderr: '' }
  }
  const [typed, cancelled, empty] = await Promise.all([onTerminal('typed-c1fapp-kez\u007fy\u001b[D\r'), onTerminal('abc\u0003'), onTerminal('  \r')])
  t.equal(typed.code, 0)
  t.notMatch(typed.stdout, /typed-c1fapp/, 'what was typed is not shown')
  t.strictSame(decoded(printed(typed.stdout).jwt)[1], '{"key":"typed-c1fapp-key"}', 'backspace erases, arrow keys are ignored')

  t.equal(cancelled.code, 1)
  t.match(cancelled.stdout, /Cancelled\./)
  t.notMatch(cancelled.stdout, /JWT=/)

  t.equal(empty.code, 1)
  t.match(empty.stdout, /The C1fApp API key is empty\./)
})
