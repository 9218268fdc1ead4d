// `npm run build` leaves the package's command executable: npx links it once, with the exec bit it
// set then, and a later build that made the file anew without the bit broke it (Permission denied).
// Build, run the command through npx, build again, run it again, in a copy of the project.
import t from 'tap'
import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

t.setTimeout(300_000)

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const dir = mkdtempSync(path.join(tmpdir(), 'c1fapp-relay-build-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

// what tsconfig.build.json compiles, and what the build reads
const built = JSON.parse(readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8')) as { include: string[] }
const SOURCES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'module_settings.json',
  ...readdirSync(root).filter(file => file.endsWith('.ts')), ...built.include.filter(entry => !entry.includes('*'))]
for (const source of SOURCES) cpSync(path.join(root, source), path.join(dir, 'project', source), { recursive: true })
const project = path.join(dir, 'project')
symlinkSync(path.join(root, 'node_modules'), path.join(project, 'node_modules'))
// npx's own cache, fresh: the link it makes to the project on the first run is what outlives a build
const env = { PATH: process.env.PATH as string, HOME: dir, npm_config_cache: path.join(dir, 'npm-cache'), npm_config_update_notifier: 'false' }

async function jwt (): Promise<string> {
  const { stdout } = await run('npx', ['--offline', 'c1fapp-relay', 'jwt', '--key', 'a-c1fapp-key'], { cwd: project, env })
  return stdout
}

t.test('build, npx c1fapp-relay jwt, build again, and it runs again', async t => {
  await run('npm', ['run', 'build'], { cwd: project, env })
  t.ok((statSync(path.join(project, 'dist/bin/cli.js')).mode & 0o111) !== 0, 'the build leaves dist/bin/cli.js executable')
  t.match(await jwt(), /^JWT=ey\S+\nSECRET_KEY=\w{64}\n/, 'first run')
  await run('npm', ['run', 'build'], { cwd: project, env })
  t.match(await jwt(), /^JWT=ey\S+\nSECRET_KEY=\w{64}\n/, 'after a rebuild')
})
