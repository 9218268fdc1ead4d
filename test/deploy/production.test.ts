// The production-only install, as the Dockerfile's runtime stage and the Lambda package hold it:
// a fresh dist/ build, package.json and `npm ci --omit=dev --ignore-scripts`, in a clean folder
// outside the project (so nothing can be found in the project's node_modules). The server starts
// there and answers, the Dockerfile's HEALTHCHECK passes against it, it stops on SIGTERM with exit
// 0, and dist/lambda.js answers API Gateway events. Needs the npm registry; takes a while.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { buildProductionPackage, bundleLambda, cleanEnv } from '../../scripts/build-lambda.js'
import { SECRET_KEY } from '../helper.js'
import { exitCode, waitForOutput } from '../support/processes.js'

t.setTimeout(600_000)

const dir = mkdtempSync(path.join(tmpdir(), 'c1fapp-relay-production-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

/** The arguments after `node` of a Dockerfile exec-form command: the `CMD`, or the HEALTHCHECK's `CMD`. */
function dockerNodeArgs (instruction: 'CMD' | 'HEALTHCHECK'): string[] {
  const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8').replace(/\\\n\s*/g, '')
  const [command, ...args] = JSON.parse(new RegExp(`^${instruction} (?:.*?CMD )?(\\[.*\\])$`, 'm').exec(dockerfile)![1]) as string[]
  if (command !== 'node') throw new Error(`the ${instruction} runs ${command}, not node`)
  return args
}

/** The Dockerfile's HEALTHCHECK command (`node -e …`), run as Docker runs it: exit 0 is healthy. */
async function healthCheck (port: number): Promise<number | null> {
  const child = spawn(process.execPath, dockerNodeArgs('HEALTHCHECK'), { cwd: dir, env: cleanEnv({ PORT: String(port) }) })
  child.stdin.end()
  return exitCode(child)
}

t.test('the production install holds no dev dependency', async t => {
  const report = await buildProductionPackage(dir)
  t.ok(report.packages > 0, `${report.packages} production packages`)
  t.ok(report.devPackages > 0, `none of the ${report.devPackages} dev-only packages`)
  for (const dev of ['typescript', 'tap', 'eslint', 'tsx', 'esbuild', 'autocannon', '@types/aws-lambda']) {
    t.notOk(existsSync(path.join(dir, 'node_modules', dev)), `no ${dev}`)
  }
  for (const file of ['dist/server.js', 'dist/lambda.js', 'dist/app.js', 'dist/plugins/config.js', 'dist/routes/health.js']) {
    t.ok(existsSync(path.join(dir, file)), file)
  }
})

t.test("the image's CMD (node with npm start's options, dist/server.js) answers, passes the HEALTHCHECK, and stops on SIGTERM with exit 0", async t => {
  // The CMD is npm start's command (test/deploy/dockerfile.test.ts keeps the two equal).
  const child = spawn(process.execPath, dockerNodeArgs('CMD'), {
    cwd: dir,
    env: cleanEnv({ SECRET_KEY, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' })
  })
  t.teardown(() => { child.kill('SIGKILL') })
  const listening = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/
  const started = await waitForOutput(child, listening)
  const port = Number(listening.exec(started)?.[1])
  t.ok(port > 0, 'listening')
  const base = `http://127.0.0.1:${port}`

  t.strictSame(await (await fetch(`${base}/version`, { method: 'POST' })).json(), { version: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version })
  t.strictSame(await (await fetch(`${base}/watchdog`, { headers: { 'Health-Check': 'production' } })).json(), { data: 'production' })
  t.strictSame(await (await fetch(`${base}/health`, { method: 'POST' })).json(),
    { errors: [{ type: 'fatal', code: 'authorization error', message: 'Authorization failed: Authorization header is missing' }] })
  const ui = await fetch(`${base}/documentation`)
  t.equal(ui.status, 200, "the OpenAPI UI, from swagger-ui's own files")
  t.match(await ui.text(), /swagger/i)

  t.equal(await healthCheck(port), 0, 'HEALTHCHECK: healthy')

  const closing = waitForOutput(child, /"signal":"SIGTERM".*"msg":"closing"/)
  child.kill('SIGTERM')
  t.equal(await exitCode(child), 0)
  t.match(await closing, /"msg":"closing"/)
  t.equal(await healthCheck(port), 1, 'HEALTHCHECK: unhealthy once the server is gone')
})

/** Imports `handler` from the file in a fresh node process in the install, and asks it three events. */
async function lambdaAnswers (t: Test, file: string): Promise<void> {
  const event = (method: string, rawPath: string, headers: Record<string, string> = {}) => ({
    version: '2.0',
    routeKey: `${method} ${rawPath}`,
    rawPath,
    rawQueryString: '',
    headers,
    requestContext: { http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'test' }, requestId: 'r1', stage: '$default' },
    isBase64Encoded: false
  })
  const events = [event('POST', '/version'), event('GET', '/watchdog', { 'health-check': 'lambda' }), event('GET', '/documentation/static/favicon-32x32.png'),
    event('POST', '/observe/observables'), event('GET', '/documentation/yaml')]
  const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(path.join(dir, file)).href)})
for (const event of ${JSON.stringify(events)}) console.log(JSON.stringify(await handler(event, {})))`
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, env: cleanEnv({ SECRET_KEY, LOG_LEVEL: 'silent' }) })
  child.stdin.end()
  const output = await waitForOutput(child, /$^/)
  t.equal(await exitCode(child), 0, 'exit 0')
  const [version, watchdog, icon, observe, yaml] = output.trim().split('\n').map(line => JSON.parse(line))
  t.match(version, { statusCode: 200, body: JSON.stringify({ version: '1.0.0' }) })
  t.match(watchdog, { statusCode: 200, body: JSON.stringify({ data: 'lambda' }) })
  t.match(icon, { statusCode: 200, isBase64Encoded: true, headers: { 'content-type': 'image/png' } })
  t.match(observe, { statusCode: 200, body: /"Authorization failed: Authorization header is missing"/ }, 'a route of a routes/ subfolder, under its prefix')
  // the bundle loads yaml only here (scripts/build-lambda.ts)
  t.match(yaml, { statusCode: 200, headers: { 'content-type': 'application/x-yaml' }, body: /^openapi: 3\.\d+\.\d+\n/ }, 'the OpenAPI document as YAML')
}

t.test('dist/lambda.js answers API Gateway events from the production install alone', t => lambdaAnswers(t, 'dist/lambda.js'))

t.test("npm run build:lambda's bundled handler answers them too, swagger-ui's files read from node_modules", async t => {
  await bundleLambda(path.join(dir, 'dist', 'lambda-bundle.js'))
  await lambdaAnswers(t, 'dist/lambda-bundle.js')
})
