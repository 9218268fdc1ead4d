// The shutdown figures fit one inside the other and every file says the same: a call in flight
// finishes within SHUTDOWN_GRACE_MS, and the orchestrator waits longer than that before it kills.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { parseAllDocuments } from 'yaml'
import { readConfig } from '../../lib/config.js'
import { SECRET_KEY } from '../helper.js'

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')
const { config } = readConfig({ SECRET_KEY })
const graceS = config.SHUTDOWN_GRACE_MS / 1000
const MARGIN_S = 5

const [deployment] = parseAllDocuments(read('deploy/relay.yaml')).map(document => document.toJS())
const pod = deployment.spec.template.spec
const [container] = pod.containers
const preStopS = Number(container.lifecycle.preStop.exec.command.at(-1))

t.test('defaults: the C1fApp deadline of a call fits in the grace, with a margin', async t => {
  t.ok(config.SHUTDOWN_GRACE_MS >= config.C1FAPP_DEADLINE_MS + MARGIN_S * 1000,
    `SHUTDOWN_GRACE_MS ${config.SHUTDOWN_GRACE_MS} ≥ C1FAPP_DEADLINE_MS ${config.C1FAPP_DEADLINE_MS} + ${MARGIN_S} s`)
})

t.test('Kubernetes: preStop and the grace fit in terminationGracePeriodSeconds', async t => {
  t.notOk(container.env.some(({ name }: { name: string }) => name === 'SHUTDOWN_GRACE_MS'), 'the default grace')
  t.ok(pod.terminationGracePeriodSeconds >= preStopS + graceS + MARGIN_S, `${pod.terminationGracePeriodSeconds} s ≥ ${preStopS} s + ${graceS} s + ${MARGIN_S} s`)
})

t.test('Docker: the stop time-out advised is above the grace, the same everywhere', async t => {
  const advised = [...`${read('Dockerfile')}\n${read('docs/deploy.md')}\n${read('docs/operations.md')}`
    .matchAll(/(?:docker stop -t|--stop-timeout|`docker stop -t` \(Docker's default is 10 s\) \|) (\d+)/g)].map(match => Number(match[1]))
  t.ok(advised.length >= 4, `${advised.length} places advise it`)
  t.strictSame(new Set(advised), new Set([advised[0]]), 'one figure')
  t.ok(advised[0] >= graceS + MARGIN_S, `${advised[0]} s ≥ ${graceS} s + ${MARGIN_S} s`)
})

t.test('the docs and comments say the defaults, not other figures', async t => {
  const texts = ['Dockerfile', 'deploy/relay.yaml', 'docs/deploy.md', 'docs/operations.md'].map(read).join('\n')
  for (const [, seconds] of texts.matchAll(/SHUTDOWN_GRACE_MS`?,? (\d+) s/g)) t.equal(Number(seconds), graceS, `SHUTDOWN_GRACE_MS, ${seconds} s`)
  for (const [, seconds] of texts.matchAll(/`terminationGracePeriodSeconds` \((\d+) s\)/g)) t.equal(Number(seconds), pod.terminationGracePeriodSeconds)
  t.match(read('docs/operations.md'), new RegExp(`\\| \`SHUTDOWN_GRACE_MS\` \\| ${graceS} s \\|`))
  t.match(read('docs/operations.md'), new RegExp(`\\| \`C1FAPP_DEADLINE_MS\` \\| ${config.C1FAPP_DEADLINE_MS / 1000} s \\|`))
  t.match(read('docs/operations.md'), new RegExp(`\\(\\[\`deploy/relay.yaml\`\\]\\(\\.\\./deploy/relay.yaml\\)\\) \\| ${pod.terminationGracePeriodSeconds} s \\|`))
  t.notMatch(texts, /up to\s+10 s|grace period is 10 s/, 'the old 10 s is gone')
})
