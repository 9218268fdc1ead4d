// scripts/readme-commands.ts: which commands of README.md and docs/ `npm run test:readme` runs in
// a fresh clone, and a check of the real documents that needs no clone: installing comes first.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { plan, readingOrder, shellBlocks } from '../../scripts/readme-commands.js'

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')

t.test('shell blocks: commands with their place, continuations joined, comments and prose left out', async t => {
  const markdown = [
    'Intro `npm run build` in prose is not a block.', // 1
    '```sh', // 2
    'npm ci && npm run build    # install, build', // 3
    '', // 4
    '# a comment line', // 5
    'kubectl create secret generic x \\', // 6
    '  --from-literal=A="$(node -e "1")"', // 7
    '```', // 8
    '```text', // 9
    '$ npm start', // 10
    '```', // 11
    '<!-- test:readme skip: needs Docker -->', // 12
    '   ```bash', // 13
    '   docker build -t x .', // 14
    '  curl -s http://x/ # {"data":"x"}', // 15
    '   ```' // 16
  ].join('\n')
  t.strictSame(shellBlocks('doc.md', markdown), [
    {
      commands: [
        { where: 'doc.md:3', text: 'npm ci && npm run build' },
        { where: 'doc.md:6', text: 'kubectl create secret generic x --from-literal=A="$(node -e "1")"' }
      ]
    },
    { commands: [{ where: 'doc.md:14', text: 'docker build -t x .' }, { where: 'doc.md:15', text: 'curl -s http://x/' }], skip: 'needs Docker' }
  ])
  t.strictSame(shellBlocks('empty.md', '```sh\n```\nno fence after'), [{ commands: [] }])
})

t.test('the plan: run, run until ready, or skip with the reason', async t => {
  const markdown = [
    '```sh',
    'npm ci && npm run demo',
    'npm ci && npm test',
    'SECRET_KEY=… npm start',
    'curl -s http://<relay>/health',
    'sam build',
    'docker run x',
    'kubectl apply -f deploy/relay.yaml',
    'npx c1fapp-relay jwt < ~/c1fapp-key.txt',
    'npm run bench',
    'npx c1fapp-relay jwt',
    '```',
    '<!-- test:readme skip: a reason of the document -->',
    '```sh',
    'npm ci',
    '```'
  ].join('\n')
  const steps = plan([{ file: 'a.md', markdown }])
  t.strictSame(steps.map(step => [step.action, step.command.text, step.action === 'skip' ? step.reason : step.action === 'until' ? String(step.ready) : '']), [
    ['until', 'npm ci && npm run demo', '/Ctrl-C stops both\\./'],
    ['skip', 'npm ci && npm test', 'the whole suite: .ci/run runs npm test itself'],
    ['skip', 'SECRET_KEY=… npm start', 'holds a placeholder (…, <…>) to fill in'],
    ['skip', 'curl -s http://<relay>/health', 'holds a placeholder (…, <…>) to fill in'],
    ['skip', 'sam build', 'needs the AWS SAM CLI and an AWS account'],
    ['skip', 'docker run x', 'needs Docker'],
    ['skip', 'kubectl apply -f deploy/relay.yaml', 'needs a Kubernetes cluster'],
    ['skip', 'npx c1fapp-relay jwt < ~/c1fapp-key.txt', 'needs a real C1fApp API key in a file of yours'],
    ['skip', 'npm run bench', 'minutes of load: the benchmark is run by hand'],
    ['run', 'npx c1fapp-relay jwt', ''],
    ['skip', 'npm ci', 'a reason of the document']
  ])
})

t.test('reading order: README, the docs it links in that order, then the others', async t => {
  const readme = 'See [ops](docs/ops.md#limits), [deploy](docs/deploy.md) and [ops again](docs/ops.md), [gone](docs/gone.md).'
  t.strictSame(readingOrder(readme, ['docs/z.md', 'docs/deploy.md', 'docs/a.md', 'docs/ops.md']),
    ['README.md', 'docs/ops.md', 'docs/deploy.md', 'docs/a.md', 'docs/z.md'])
})

// A reader follows one of these from its top, on a fresh clone: each installs before it builds.
const NEEDS_INSTALL = /\b(npm run|npx|npm start|npm test|npm prune|sam build)\b/

t.test('README.md, docs/threat-response.md and docs/deploy.md: npm ci before anything that needs the dependencies', async t => {
  const docs = readdirSync(new URL('../../docs', import.meta.url)).map(name => `docs/${name}`)
  const order = readingOrder(read('README.md'), docs)
  t.ok(order.indexOf('docs/threat-response.md') < order.indexOf('docs/deploy.md'), 'tokens before deploying')
  for (const file of ['README.md', 'docs/threat-response.md', 'docs/deploy.md']) {
    const texts = shellBlocks(file, read(file)).flatMap(block => block.commands).map(command => command.text)
    t.ok(texts.length > 0, `${file} has commands`)
    const stream = texts.join('\n')
    const install = stream.indexOf('npm ci')
    const first = NEEDS_INSTALL.exec(stream)
    t.ok(install >= 0 && (first === null || install < first.index), `${file}: npm ci comes first`)
  }
  const steps = plan(order.map(file => ({ file, markdown: read(file) })))
  const ran = steps.filter(step => step.action !== 'skip').map(step => step.command.text)
  t.ok(ran.includes('npx c1fapp-relay jwt'), 'test:readme runs the jwt command after a build')
  t.ok(ran.includes('npm ci && npm run demo'), 'and the demo')
})
