// The Dockerfile copies what the build compiles and runs the relay as npm start does. No Docker
// engine runs here (test/deploy/production.test.ts runs what the image holds).
import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { buildApp } from '../helper.js'
import { exists, read } from '../support/project-files.js'

function instructions (): Array<{ stage: number, name: string, args: string }> {
  const lines = read('Dockerfile').replace(/\\\n/g, ' ').split('\n').filter(line => line.trim() !== '' && !line.startsWith('#'))
  let stage = -1
  return lines.map(line => {
    const [, name, args] = /^(\w+)\s+(.*)$/.exec(line.trim())!
    if (name === 'FROM') stage++
    return { stage, name, args }
  })
}

t.test('Dockerfile: everything it copies from the project exists and is not in .dockerignore', async t => {
  const ignored = new Set(read('.dockerignore').split('\n').map(line => line.trim()).filter(line => line !== '' && !line.startsWith('#')))
  const copies = instructions().filter(step => step.name === 'COPY' && !step.args.startsWith('--from='))
  t.ok(copies.length > 0)
  for (const { args } of copies) {
    const sources = args.split(/\s+/).slice(0, -1)
    for (const source of sources) {
      // The Dockerfile's only wildcard form: *.ts at the top.
      const found = source.startsWith('*')
        ? readdirSync(new URL('../..', import.meta.url)).some(file => file.endsWith(source.slice(1)))
        : exists(source)
      t.ok(found, `COPY ${source}: found`)
      t.notOk(ignored.has(source), `COPY ${source}: not ignored`)
    }
  }
})

t.test('Dockerfile: the build stage copies everything tsconfig.build.json compiles', async t => {
  const { include } = JSON.parse(read('tsconfig.build.json')) as { include: string[] }
  const copied = instructions().filter(step => step.stage === 0 && step.name === 'COPY').flatMap(step => step.args.split(/\s+/).slice(0, -1))
  for (const entry of include) t.ok(copied.includes(entry), `${entry} is copied`)
  t.ok(copied.includes('tsconfig.build.json') && copied.includes('tsconfig.json'))
})

t.test('Dockerfile: the runtime stage runs node itself, as a user, on 0.0.0.0, with a health check', async t => {
  const runtime = instructions().filter(step => step.stage === 1)
  const args = (name: string) => runtime.filter(step => step.name === name).map(step => step.args)
  t.match(args('FROM')[0], /^node:\d+-slim$/)
  t.match(args('RUN')[0], /^npm ci --omit=dev --ignore-scripts /)
  t.strictSame(args('COPY'), ['package.json package-lock.json ./', '--from=build /app/dist ./dist'])
  t.strictSame(args('USER'), ['node'])
  t.match(args('ENV')[0], /(^|\s)HOST=0\.0\.0\.0(\s|$)/)
  const port = /(^|\s)PORT=(\d+)(\s|$)/.exec(args('ENV')[0])?.[2]
  t.strictSame(args('EXPOSE'), [port])
  const start = (JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start.split(' ')
  t.equal(start.at(-1), 'dist/server.js')
  t.strictSame(JSON.parse(args('CMD')[0]), start, 'exec form, as npm start runs it: SIGTERM reaches node, with the same node options')
  t.match(args('HEALTHCHECK')[0], /^--interval=\S+ --timeout=\S+ --start-period=\S+ --retries=\d+\s+CMD \["node", "-e", ".*\/watchdog.*Health-Check/)
})

t.test('Dockerfile: the health check asks where HOST says the relay listens', async t => {
  const runtime = instructions().filter(step => step.stage === 1)
  const healthcheck = runtime.find(step => step.name === 'HEALTHCHECK')!.args
  const [node, flag, script] = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD ') + 4)) as string[]
  t.strictSame([node, flag], ['node', '-e'])
  const check = async (env: Record<string, string>) => {
    const child = spawn(process.execPath, ['-e', script], { env: { PATH: process.env.PATH as string, ...env }, stdio: 'ignore' })
    const [code] = await once(child, 'exit')
    return code
  }
  for (const [listen, host] of [['127.0.0.2', '127.0.0.2'], ['0.0.0.0', '0.0.0.0'], ['127.0.0.1', '']]) {
    const app = await buildApp(t)
    await app.listen({ host: listen, port: 0 })
    const { port } = app.server.address() as AddressInfo
    t.equal(await check({ ...(host === '' ? {} : { HOST: host }), PORT: String(port) }), 0, `listening on ${listen}, HOST=${host || '(unset)'}: healthy`)
    await app.close()
  }
  const app = await buildApp(t)
  await app.listen({ host: '127.0.0.2', port: 0 })
  const { port } = app.server.address() as AddressInfo
  t.equal(await check({ HOST: '127.0.0.3', PORT: String(port) }), 1, 'nothing listening where HOST says: unhealthy')
})
