// scripts/supported-node.ts: npm test's tap runs on this Node.js when package.json's engines allow
// it, else on the Dockerfile's.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { majorToRunOn, supportedMajors } from '../../scripts/supported-node.js'

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')
const DOCKERFILE = 'FROM node:24-slim AS build\nRUN npm ci\nFROM node:24-slim\n'

t.test('the majors of caret ranges joined by ||', async t => {
  t.strictSame(supportedMajors('^22 || ^24'), [22, 24])
  t.strictSame(supportedMajors('^24'), [24])
  t.strictSame(supportedMajors((JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node), [22, 24], "package.json's own")
  for (const engines of ['', '>=22', '^22 || >=24', '22.x']) {
    t.throws(() => supportedMajors(engines), { message: `engines.node "${engines}": expected caret ranges such as "^22 || ^24"` }, engines)
  }
})

t.test("this Node.js when supported, else the Dockerfile's", async t => {
  t.strictSame(majorToRunOn('^22 || ^24', DOCKERFILE, 'v22.11.0'), { major: 22, thisNode: true })
  t.strictSame(majorToRunOn('^22 || ^24', DOCKERFILE, 'v24.21.0'), { major: 24, thisNode: true })
  t.strictSame(majorToRunOn('^22 || ^24', DOCKERFILE, 'v20.20.0'), { major: 24, thisNode: false })
  t.strictSame(majorToRunOn('^22 || ^24', DOCKERFILE, 'v26.0.0'), { major: 24, thisNode: false })
  t.strictSame(majorToRunOn('^22 || ^24', read('Dockerfile'), 'v20.20.0'), { major: 24, thisNode: false }, "the project's own Dockerfile")
  t.throws(() => majorToRunOn('^22', 'FROM alpine\n', 'v20.20.0'), { message: 'the Dockerfile has no FROM node:N-slim line' })
})
