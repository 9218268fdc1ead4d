// The process entries as a module owner runs them: server.ts and the demo, in child processes.
import t from 'tap'
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { healthOk, SECRET_KEY } from './helper.js'
import { DEMO_API_KEY } from '../simulator/server.js'
import { exitCode, waitForOutput } from './support/processes.js'

// Each run starts tsx, which takes seconds on a loaded machine: more than tap's default 30 s in all.
t.setTimeout(180000)

const root = fileURLToPath(new URL('..', import.meta.url))

/**
 * Runs an entry point under tsx with only the environment given: nothing of the test process
 * leaks in (nor tap's coverage hooks, which would mix tsx's transpilation into the report).
 */
function run (script: string, env: Record<string, string>): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: { PATH: process.env.PATH as string, FASTIFY_AUTOLOAD_TYPESCRIPT: '1', ...env }
  })
}

t.test('bad configuration stops start-up with a message that names the variable', async t => {
  const child = run('server.ts', { SECRET_KEY: 'too-short' })
  const output = await waitForOutput(child, /$^/)
  t.equal(await exitCode(child), 1)
  t.equal(output.trim(), 'Invalid configuration: SECRET_KEY is invalid: it must be the HS256 secret the JWTs are signed with, at least 32 characters')
})

t.test('an http:// C1FAPP_API_URL off loopback stops start-up, naming it (the key would travel in clear)', async t => {
  const child = run('server.ts', { SECRET_KEY, C1FAPP_API_URL: 'http://www.c1fapp.com/cifapp/api/' })
  const output = await waitForOutput(child, /$^/)
  t.equal(await exitCode(child), 1)
  t.equal(output.trim(), 'Invalid configuration: C1FAPP_API_URL is invalid: it must be the C1fApp API endpoint, an https:// URL (http:// only for a loopback host: the key travels in the body)')
})

t.test('server.ts listens where configured, answers, and closes on SIGTERM', async t => {
  const child = run('server.ts', { SECRET_KEY, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' })
  const output = await waitForOutput(child, /Server listening at (http:\/\/127\.0\.0\.1:\d+)/)
  const base = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]
  const response = await fetch(`${base}/version`, { method: 'POST' })
  t.equal(response.status, 200)
  t.match(await response.json(), { version: /^\d+\.\d+\.\d+/ })
  child.kill('SIGTERM')
  t.equal(await exitCode(child), 0)
})

t.test('the demo starts the simulator and the relay, and its curl lines answer real CTIM', async t => {
  const child = run('bin/demo.ts', { PORT: '0' })
  t.teardown(() => { child.kill('SIGKILL') })
  const output = await waitForOutput(child, /Ctrl-C stops both\./)
  const health = /curl -s -X POST (\S+) -H "Authorization: Bearer (\S+)"\n/.exec(output)!
  t.ok(health, output)
  const [, healthUrl, jwt] = health
  t.strictSame(await (await fetch(healthUrl, { method: 'POST', headers: { authorization: `Bearer ${jwt}` } })).json(), healthOk(1, { limit: 50 }), "the day's first request, under the demo's daily limit")
  const observe = /curl -s -X POST (\S+\/observe\/observables) -H "Authorization: Bearer (\S+)" .* -d '(.+)'\n/.exec(output)!
  t.equal(observe[2], jwt, 'observe with the JWT')
  const observed = async (token: string): Promise<any> => await (await fetch(observe[1], {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: observe[3]
  })).json()
  const answer = await observed(jwt)
  t.ok(answer.data.sightings.count > 0, 'sightings')
  t.ok(answer.data.indicators.count > 0, 'indicators')
  t.equal(answer.data.relationships.count, answer.data.sightings.count + answer.data.judgements.count, 'relationships')
  t.strictSame(answer.data.verdicts.docs.map((verdict: { disposition_name: string }) => verdict.disposition_name), ['Malicious', 'Malicious', 'Malicious', 'Suspicious', 'Unknown'], 'the three kinds of verdict')
  t.notOk(answer.errors)
  t.ok(answer.data.sightings.docs.every((sighting: { count: number }) => sighting.count === 1), 'JWT: a sighting per record')
  const perFeed = /^PER_FEED_JWT=(\S+)\n {2}module settings (\{.*\}): a sighting per feed$/m.exec(output)!
  t.ok(perFeed, 'the per-feed token and its module settings')
  t.strictSame(JSON.parse(perFeed[2]), { key: DEMO_API_KEY, C1FAPP_DAILY_LIMIT: 50, C1FAPP_SIGHTINGS: 'per-feed' })
  t.match(output, `-H "Authorization: Bearer ${perFeed[1]}" -H 'Content-Type: application/json' -d '${observe[3]}'`, 'a curl line observes with it')
  const perFeedAnswer = await observed(perFeed[1])
  t.ok(perFeedAnswer.data.sightings.count < answer.data.sightings.count && perFeedAnswer.data.sightings.docs.some((sighting: { count: number }) => sighting.count > 1), 'PER_FEED_JWT: a sighting per feed')
  const deliberate = /curl -s -X POST (\S+\/deliberate\/observables) .* -d '(.+)'\n/.exec(output)!
  t.equal(deliberate[2], observe[3], 'the same observables')
  const verdicts = await (await fetch(deliberate[1], {
    method: 'POST',
    headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
    body: deliberate[2]
  })).json() as any
  t.strictSame(verdicts.data.verdicts.docs.map((verdict: { disposition_name: string }) => verdict.disposition_name), ['Malicious', 'Malicious', 'Malicious', 'Suspicious', 'Unknown'], "deliberate: observe's verdicts")
  child.kill('SIGINT')
  t.equal(await exitCode(child), 0)
})

t.test('the demo on a taken or unusable port: one line with the variable to set, no stack, exit 1', async t => {
  const { createServer } = await import('node:net')
  const taken = createServer()
  await new Promise<void>(resolve => taken.listen(0, '127.0.0.1', resolve))
  t.teardown(() => taken.close())
  const port = (taken.address() as { port: number }).port
  const cases: Array<[Record<string, string>, string]> = [
    [{ PORT: String(port) }, `listen EADDRINUSE: address already in use 127.0.0.1:${port}: set PORT to a free port, for example PORT=3001 npm run demo (PORT=0 takes any free one)`],
    [{ PORT: 'abc' }, 'Invalid configuration: PORT is invalid: it must be the TCP port the server listens on (0–65535); set PORT to a free port, for example PORT=3001 npm run demo (PORT=0 takes any free one)'],
    [{ PORT: '0', SIMULATOR_PORT: String(port) }, `listen EADDRINUSE: address already in use 127.0.0.1:${port}: set SIMULATOR_PORT to a free port, for example SIMULATOR_PORT=8080 npm run demo (SIMULATOR_PORT=0 takes any free one)`]
  ]
  await Promise.all(cases.map(async ([env, line]) => {
    const child = run('bin/demo.ts', env)
    const output = await waitForOutput(child, /$^/)
    t.equal(await exitCode(child), 1, JSON.stringify(env))
    t.equal(output, `${line}\n`, JSON.stringify(env))
  }))
})
