// `npm test` runs tap through this: on this Node.js when package.json's engines allow it, else on the
// Dockerfile's (the relay's own runtime) from the npm registry's node package, as .ci/run runs the
// suite on the other supported versions. The tests then exercise the relay on a runtime it ships
// on, never on one it does not support (a machine's Node.js 20, say).
// Usage: tsx scripts/on-supported-node.ts <command> [arguments…]
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { majorToRunOn } from './supported-node.js'

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8')
const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node
const { major, thisNode } = majorToRunOn(engines, read('Dockerfile'), process.version)
const [command, ...args] = process.argv.slice(2)
if (!thisNode) console.error(`Node.js ${process.version} is outside package.json's engines (${engines}): ${command} runs on Node.js ${major}, the Dockerfile's, from the npm registry's node package`)
const run = thisNode ? spawnSync(command, args, { stdio: 'inherit' }) : spawnSync('npx', ['-y', '-p', `node@${major}`, '--', command, ...args], { stdio: 'inherit' })
process.exit(run.status ?? 1)
