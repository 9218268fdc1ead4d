// `npm run test:readme`: every shell block of README.md and docs/ pasted, in reading order, into a
// fresh clone of this commit, as a new module owner would. What cannot run here is skipped with its
// reason (scripts/readme-commands.ts); a server runs until it is ready and is then stopped. A key
// waits on standard input for any command that asks for one (the jwt command). Exits 1 on failure.
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cleanEnv } from './build-lambda.js'
import { plan, readingOrder, type Step } from './readme-commands.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const TYPED_KEY = 'a-c1fapp-key-typed-by-test-readme\n'
const SERVER_WAIT_MS = 600_000

const docs = readdirSync(path.join(root, 'docs')).filter(name => name.endsWith('.md')).map(name => `docs/${name}`)
const files = readingOrder(readFileSync(path.join(root, 'README.md'), 'utf8'), docs)
const steps = plan(files.map(file => ({ file, markdown: readFileSync(path.join(root, file), 'utf8') })))

const dir = mkdtempSync(path.join(tmpdir(), 'c1fapp-relay-readme-'))
const clone = path.join(dir, 'clone')
execFileSync('git', ['clone', '--quiet', root, clone])
// PORT=0: a server the check starts (the demo) takes any free port, never one in use here.
const env = cleanEnv({ PORT: '0', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' })

/** Runs one command as bash would from the pasted line; resolves with its exit code and output. */
async function execute (step: Extract<Step, { action: 'run' | 'until' }>): Promise<{ ok: boolean, output: string }> {
  const child = spawn('bash', ['-c', `set -o pipefail\n${step.command.text}`], { cwd: clone, env, detached: true })
  let output = ''
  const collect = (chunk: Buffer) => { output += chunk.toString() }
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
  child.stdin.end(TYPED_KEY)
  const ended = new Promise<number | null>(resolve => child.on('close', code => resolve(code)))
  if (step.action === 'run') return { ok: await ended === 0, output }
  const ready = step.ready
  const seen = await new Promise<boolean>(resolve => {
    const timer = setTimeout(() => resolve(false), SERVER_WAIT_MS)
    const check = () => { if (ready.test(output)) { clearTimeout(timer); resolve(true) } }
    child.stdout.on('data', check)
    child.stderr.on('data', check)
    ended.then(() => { clearTimeout(timer); resolve(ready.test(output)) }, () => {})
  })
  // Ctrl-C, as the reader would press it: to the whole group (npm, node, the servers)
  const signal = (name: NodeJS.Signals) => { try { process.kill(-(child.pid as number), name) } catch { /* already ended */ } }
  signal('SIGINT')
  const stuck = setTimeout(() => signal('SIGKILL'), 10_000)
  await ended
  clearTimeout(stuck)
  return { ok: seen, output }
}

let failed = 0
try {
  for (const step of steps) {
    const { where, text } = step.command
    if (step.action === 'skip') {
      console.log(`skip  ${where}  ${text}\n      (${step.reason})`)
      continue
    }
    console.log(`${step.action === 'run' ? 'run ' : 'until'}  ${where}  ${text}`)
    const { ok, output } = await execute(step)
    if (!ok) {
      failed++
      console.log(`FAILED ${where}; its last output:\n${output.split('\n').slice(-30).join('\n')}`)
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
const ran = steps.filter(step => step.action !== 'skip').length
console.log(`${ran} commands run (${failed} failed), ${steps.length - ran} skipped, from ${files.join(', ')}`)
process.exitCode = failed > 0 ? 1 : 0
