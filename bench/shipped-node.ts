// The bench measures the Node.js the relay ships on: the major of the Dockerfile's image (and of
// the SAM template's runtime). Run under another Node.js, a bench
// script runs itself again under npm's `node` package of that major, as .ci/run runs the tests, and
// every process it forks runs on that node (process.execPath).
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { shippedMajor } from '../scripts/supported-node.js'

const root = fileURLToPath(new URL('..', import.meta.url))

/** Returns when this process runs on the shipped major; else runs `script` on it and exits with its code. */
export function onShippedNode (script: string): void {
  const major = shippedMajor(readFileSync(new URL('Dockerfile', `file://${root}/`), 'utf8'))
  if (Number(process.versions.node.split('.')[0]) === major) return
  console.error(`Node.js ${process.version} here: running ${script} again on Node.js ${major} (npx -p node@${major})`)
  const { status } = spawnSync('npx', ['-y', '-p', `node@${major}`, '--', 'node', '--import', 'tsx', script, ...process.argv.slice(2)],
    { cwd: root, stdio: 'inherit' })
  process.exit(status ?? 1)
}
