// The Kubernetes example agrees with the relay: the probes, Service, Secrets, network policies,
// shared cache and metrics point at what the container has, and docs/deploy.md's commands apply
// the files cleanly, in their order, against a kubectl that keeps what it is given (no cluster runs
// here). The Valkey's ACL user is tried on a real redis-server.
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import { parseAllDocuments } from 'yaml'
import { DEFAULT_C1FAPP_API_URL, readConfig } from '../../lib/config.js'
import { bearer, buildApp, buildRelay, healthOk, post } from '../helper.js'
import { read, RELAY_VARIABLES } from '../support/project-files.js'
import { startRedis } from '../support/redis.js'

const kubernetes = parseAllDocuments(read('deploy/relay.yaml')).map(document => document.toJS())
const byKind = (kind: string) => kubernetes.find(resource => resource.kind === kind)
const root = fileURLToPath(new URL('../../', import.meta.url))

/** docs/deploy.md's Kubernetes commands, as a module owner copies them. */
const documented = /^## Kubernetes\n[\s\S]*?```sh\n([\s\S]*?)```/m.exec(read('docs/deploy.md'))![1]

// A kubectl that keeps what it is given in a JSON file: `create secret generic` (refused when the
// Secret exists, as kubectl does), `apply -f` (refused when a file reads a Secret or a key that
// does not exist, or would overwrite a Secret), `rollout status` (refused for a Deployment never
// applied); docker, curl and port-forward do nothing.
const FAKE_KUBECTL = `import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { parseAllDocuments } from ${JSON.stringify(path.join(root, 'node_modules/yaml/dist/index.js'))}
const file = process.env.CLUSTER_STATE
const state = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { secrets: {}, resources: [] }
const args = process.argv.slice(2)
const fail = message => { console.error(message); process.exit(1) }
if (args[0] === 'create' && args[1] === 'secret' && args[2] === 'generic') {
  if (state.secrets[args[3]]) fail('secrets "' + args[3] + '" already exists')
  state.secrets[args[3]] = Object.fromEntries(args.slice(4).map(arg => /^--from-literal=([^=]+)=(.*)$/s.exec(arg).slice(1)))
} else if (args[0] === 'apply' && args[1] === '-f') {
  for (const resource of parseAllDocuments(readFileSync(args[2], 'utf8')).map(document => document.toJS())) {
    if (resource.kind === 'Secret' && state.secrets[resource.metadata.name]) fail(args[2] + ' overwrites the Secret ' + resource.metadata.name)
    for (const container of resource.spec?.template?.spec?.containers ?? []) {
      for (const variable of container.env ?? []) {
        const ref = variable.valueFrom?.secretKeyRef
        if (ref && !(state.secrets[ref.name] && ref.key in state.secrets[ref.name])) fail(args[2] + ': ' + variable.name + ' reads ' + ref.name + '/' + ref.key + ', which does not exist')
      }
    }
    state.resources.push(resource.kind + '/' + resource.metadata.name)
  }
} else if (args[0] === 'rollout' && args[1] === 'status') {
  if (!state.resources.includes('Deployment/' + args[2].split('/')[1])) fail('deployment not found')
} else if (args[0] !== 'port-forward') fail('unknown command ' + args.join(' '))
writeFileSync(file, JSON.stringify(state))
`

/** Runs `commands` with the fake kubectl; what the cluster holds afterwards, or the failure. */
async function runCommands (commands: string): Promise<{ secrets: Record<string, Record<string, string>>, resources: string[] }> {
  const bin = mkdtempSync(path.join(tmpdir(), 'kubectl-'))
  try {
    writeFileSync(path.join(bin, 'kubectl.mjs'), FAKE_KUBECTL)
    writeFileSync(path.join(bin, 'kubectl'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} "$(dirname "$0")/kubectl.mjs" "$@"\n`)
    for (const tool of ['docker', 'curl']) writeFileSync(path.join(bin, tool), '#!/bin/sh\nexit 0\n')
    for (const tool of ['kubectl', 'docker', 'curl']) chmodSync(path.join(bin, tool), 0o755)
    const state = path.join(bin, 'state.json')
    await promisify(execFile)('bash', ['-e', '-c', `${commands}\nwait`], { cwd: root, env: { PATH: `${bin}:${process.env.PATH}`, CLUSTER_STATE: state } })
    return JSON.parse(readFileSync(state, 'utf8'))
  } finally {
    rmSync(bin, { recursive: true, force: true })
  }
}

t.test('docs/deploy.md: the Kubernetes commands apply every file cleanly, in their order, and again', async t => {
  const cluster = await runCommands(documented)
  t.strictSame(Object.keys(cluster.secrets).sort(), ['c1fapp-relay', 'c1fapp-relay-redis'])
  t.ok(cluster.resources.includes('Deployment/c1fapp-relay') && cluster.resources.includes('Deployment/c1fapp-relay-redis'))
  t.equal(cluster.secrets['c1fapp-relay'].SECRET_KEY.length, 64)
  const { REDIS_PASSWORD: password, CACHE_REDIS_URL: url } = cluster.secrets['c1fapp-relay-redis']
  t.equal(new URL(url).password, password, 'one password in both entries')
  t.doesNotThrow(() => readConfig({ SECRET_KEY: cluster.secrets['c1fapp-relay'].SECRET_KEY, CACHE_REDIS_URL: url }), 'values the relay accepts')
  const applies = documented.split('\n').filter(line => line.startsWith('kubectl apply'))
  t.equal(applies.length, 3)
  await runCommands(`${documented}\n${applies.join('\n')}`)
  t.pass('applying the files again changes no Secret')
  const relayFirst = documented.replace(/^kubectl apply -f deploy\/relay\.yaml.*$/m, '').replace(/^kubectl create secret/m, 'kubectl apply -f deploy/relay.yaml\nkubectl create secret')
  await t.rejects(runCommands(relayFirst), { message: /SECRET_KEY reads c1fapp-relay\/SECRET_KEY, which does not exist/ }, 'the fake kubectl refuses the wrong order')
})

t.test('deploy/: no file carries a Secret (a placeholder would overwrite the real one at every apply)', async t => {
  for (const file of ['deploy/relay.yaml', 'deploy/redis.yaml', 'deploy/network-policy.yaml']) {
    t.strictSame(parseAllDocuments(read(file)).map(document => document.toJS()).filter(resource => resource.kind === 'Secret'), [], file)
    t.notMatch(read(file), /replace-me/, `${file}: no placeholder`)
  }
})

t.test('deploy/: the Deployment reads its secret from the documented Secret, and only variables the relay knows', async t => {
  const deployment = byKind('Deployment')
  const [container] = deployment.spec.template.spec.containers
  for (const { name } of container.env) t.ok(RELAY_VARIABLES.has(name), `${name} is read by the relay`)
  const secretRef = container.env.find((variable: { name: string }) => variable.name === 'SECRET_KEY').valueFrom.secretKeyRef
  t.strictSame(secretRef, { name: 'c1fapp-relay', key: 'SECRET_KEY' })
  t.match(documented, /kubectl create secret generic c1fapp-relay \\\n\s+--from-literal=SECRET_KEY=/)
  const env = Object.fromEntries(container.env.filter((variable: { value?: string }) => variable.value !== undefined)
    .map((variable: { name: string, value: string }) => [variable.name, variable.value]))
  t.doesNotThrow(() => readConfig({ SECRET_KEY: 'x'.repeat(32), ...env }), 'the other values are valid')
  t.equal(env.HOST, '0.0.0.0')
  t.strictSame(container.ports.find((port: { name: string }) => port.name === 'http'), { name: 'http', containerPort: Number(env.PORT) })
})

t.test('deploy/: no service-account token in the pod; egress only to DNS, to HTTPS outside private ranges and to the shared cache', async t => {
  const deployment = byKind('Deployment')
  t.equal(deployment.spec.template.spec.automountServiceAccountToken, false)
  const [policy] = parseAllDocuments(read('deploy/network-policy.yaml')).map(document => document.toJS())
  t.equal(policy.kind, 'NetworkPolicy')
  t.strictSame(policy.spec.podSelector.matchLabels, deployment.spec.selector.matchLabels, "the relay's pods")
  t.strictSame(policy.spec.policyTypes, ['Egress'])
  const [dns, https] = policy.spec.egress
  t.strictSame(dns.ports, [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }])
  t.equal(dns.to[0].podSelector.matchLabels['k8s-app'], 'kube-dns')
  t.strictSame(https.ports, [{ protocol: 'TCP', port: 443 }], 'C1fApp and the JWKS hosts speak https')
  t.equal(https.to[0].ipBlock.cidr, '0.0.0.0/0')
  for (const range of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16']) {
    t.ok(https.to[0].ipBlock.except.includes(range), `not ${range}`)
  }
  const [, , redis, ...rest] = policy.spec.egress
  const redisDeployment = parseAllDocuments(read('deploy/redis.yaml')).map(document => document.toJS())
    .find(resource => resource.kind === 'Deployment')
  t.strictSame(redis.to[0].podSelector.matchLabels, redisDeployment.spec.selector.matchLabels, 'the shared cache of deploy/redis.yaml')
  t.strictSame(redis.ports, [{ protocol: 'TCP', port: 6379 }])
  t.strictSame(rest, [], 'nothing else')
  t.match(new URL(DEFAULT_C1FAPP_API_URL).protocol, 'https:', 'the default C1fApp endpoint is on 443')
})

t.test('deploy/network-policy.yaml: ingress only from the ingress controller (relay port), Prometheus (metrics), the relay (Valkey)', async t => {
  const [, relayIngress, redisIngress, ...rest] = parseAllDocuments(read('deploy/network-policy.yaml')).map(document => document.toJS())
  t.strictSame(rest, [])
  const deployment = byKind('Deployment')
  const [container] = deployment.spec.template.spec.containers
  const port = (name: string) => container.ports.find((entry: { name: string }) => entry.name === name).containerPort
  t.strictSame(relayIngress.spec.podSelector.matchLabels, deployment.spec.selector.matchLabels)
  t.strictSame(relayIngress.spec.policyTypes, ['Ingress'])
  const [fromIngress, fromPrometheus, ...more] = relayIngress.spec.ingress
  t.strictSame(more, [])
  t.strictSame(fromIngress.ports, [{ protocol: 'TCP', port: port('http') }], "the ingress controller: the relay's port only")
  t.equal(fromIngress.from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name'], 'ingress-nginx')
  t.strictSame(fromPrometheus.ports, [{ protocol: 'TCP', port: port('metrics') }], 'Prometheus: the metrics port only')
  t.equal(fromPrometheus.from[0].podSelector.matchLabels['app.kubernetes.io/name'], 'prometheus')
  const redisDeployment = redisKind('Deployment')
  t.strictSame(redisIngress.spec.podSelector.matchLabels, redisDeployment.spec.selector.matchLabels)
  t.strictSame(redisIngress.spec.policyTypes, ['Ingress'])
  t.strictSame(redisIngress.spec.ingress, [{ from: [{ podSelector: { matchLabels: deployment.spec.selector.matchLabels } }], ports: [{ protocol: 'TCP', port: 6379 }] }],
    "the relay's pods only")
})

t.test('deploy/: probes on /watchdog and the Service on the container\'s port', async t => {
  const deployment = byKind('Deployment')
  const [container] = deployment.spec.template.spec.containers
  for (const probe of [container.readinessProbe, container.livenessProbe]) {
    t.equal(probe.httpGet.path, '/watchdog')
    t.equal(probe.httpGet.port, container.ports[0].name)
    t.equal(probe.httpGet.httpHeaders[0].name, 'Health-Check')
  }
  t.ok(container.resources.requests.memory && container.resources.limits.memory && container.resources.limits.cpu)
  t.equal(deployment.spec.template.spec.securityContext.runAsUser, 1000, "the image's node user")
  const service = byKind('Service')
  t.strictSame(service.spec.selector, deployment.spec.selector.matchLabels)
  t.strictSame(deployment.spec.template.metadata.labels, deployment.spec.selector.matchLabels)
  t.equal(service.spec.ports[0].targetPort, container.ports[0].name)
})

const redisDeploy = parseAllDocuments(read('deploy/redis.yaml')).map(document => document.toJS())
const relayDeploy = parseAllDocuments(read('deploy/relay.yaml')).map(document => document.toJS())
const redisKind = (kind: string) => redisDeploy.find(resource => resource.kind === kind)

t.test('deploy/redis.yaml: the shared cache the replicas reach through its Service, with the password of the documented Secret', async t => {
  const [container] = byKind('Deployment').spec.template.spec.containers
  const urlRef = container.env.find((variable: { name: string }) => variable.name === 'CACHE_REDIS_URL').valueFrom.secretKeyRef
  const { secrets } = await runCommands(documented)
  const url = new URL(secrets[urlRef.name][urlRef.key])
  const service = redisKind('Service')
  const deployment = redisKind('Deployment')
  t.equal(url.hostname, service.metadata.name, 'the URL names the Service')
  t.equal(Number(url.port), service.spec.ports[0].port)
  t.equal(url.username, 'c1fapp-relay', 'the ACL user')
  t.strictSame(service.spec.selector, deployment.spec.selector.matchLabels)
  t.strictSame(deployment.spec.template.metadata.labels, deployment.spec.selector.matchLabels)
  const [valkey] = deployment.spec.template.spec.containers
  t.equal(service.spec.ports[0].targetPort, valkey.ports[0].name)
  t.equal(valkey.ports[0].containerPort, 6379)
  const passwordRef = valkey.env.find((variable: { name: string }) => variable.name === 'REDIS_PASSWORD').valueFrom.secretKeyRef
  t.equal(passwordRef.name, urlRef.name)
  t.equal(url.password, secrets[passwordRef.name][passwordRef.key], 'the URL carries the password Valkey requires')
  const args = valkey.args.join(' ')
  t.match(args, /--save {2}--appendonly no/, 'a cache: nothing persisted')
  t.match(args, /--maxmemory \d+mb --maxmemory-policy allkeys-lru/, 'bounded, evicting the least recently used')
  t.match(args, /--user default off /, 'the default user is off')
})

t.test('deploy/redis.yaml: the relay\'s ACL user, on a real redis-server, may use its own keys and nothing else', async t => {
  const { secrets } = await runCommands(documented)
  const { REDIS_PASSWORD: password, CACHE_REDIS_URL: documentedUrl } = secrets['c1fapp-relay-redis']
  const [valkey] = redisKind('Deployment').spec.template.spec.containers
  // the container's args, as Kubernetes expands $(REDIS_PASSWORD); persistence and memory as the test server's own
  const args = (valkey.args as string[]).map(arg => arg.replace('$(REDIS_PASSWORD)', password))
  const userArgs = args.slice(args.indexOf('--user'))
  const redis = await startRedis(t, userArgs)
  const url = documentedUrl.replace(/@[^/]+/, `@127.0.0.1:${redis.port}`)
  const { simulator } = await buildRelay(t)
  simulator.script('*', { body: [{ feed_label: ['Phishtank'], reportime: ['2026-10-01'], confidence: [90], assessment: ['phishing'], domain: ['a.example'] }] })
  const relays = [await buildApp(t, { CACHE_TTL_S: '60', C1FAPP_API_URL: simulator.url, CACHE_REDIS_URL: url }),
    await buildApp(t, { CACHE_TTL_S: '60', C1FAPP_API_URL: simulator.url, CACHE_REDIS_URL: url })]
  for (const relay of relays) t.equal((await post(relay, '/observe/observables', [{ type: 'domain', value: 'a.example' }], bearer())).json().data.sightings.count, 1)
  t.equal(simulator.requests.length, 1, 'the relays share the cache as the ACL user')
  t.strictSame((await post(relays[1], '/health', undefined, bearer())).json(), healthOk(2), "and the key's day: the other relay's request and its own probe")
  for (const relay of relays) t.match(await relay.metrics.registry!.getSingleMetricAsString('relay_cache_errors_total'), /kind="redis"} 0$/m, 'no command refused')

  const asUser = new Redis(url, { maxRetriesPerRequest: 0, lazyConnect: true })
  t.teardown(() => asUser.disconnect())
  await asUser.connect()
  for (const prefix of ['c1fapp-relay:answer:', 'c1fapp-relay:quota:', 'c1fapp-relay:health:']) {
    t.equal(await asUser.set(`${prefix}x`, '1', 'PX', 60000), 'OK', `${prefix}: set`)
    t.equal(await asUser.getrange(`${prefix}x`, 0, 10), '1', `${prefix}: read`)
    t.equal(await asUser.exists(`${prefix}x`), 1, `${prefix}: check`)
  }
  for (const [name, command] of [['another prefix', () => asUser.get('someone-else:key')], ['KEYS', () => asUser.keys('*')], ['FLUSHALL', () => asUser.flushall()],
    ['CONFIG', () => asUser.config('GET', 'requirepass')], ['DEL of another prefix', () => asUser.del('someone-else:key')],
    ['a script touching another prefix', () => asUser.eval("return redis.call('GET', KEYS[1])", 1, 'someone-else:key')], ['ACL', () => asUser.acl('LIST')]] as const) {
    await t.rejects((command as () => Promise<unknown>)(), { message: /^NOPERM/ }, `${name}: refused`)
  }
  const anonymous = new Redis({ port: redis.port, host: '127.0.0.1', maxRetriesPerRequest: 0, lazyConnect: true })
  t.teardown(() => anonymous.disconnect())
  anonymous.on('error', () => {})
  await anonymous.connect().catch(() => {})
  await t.rejects(anonymous.get('c1fapp-relay:answer:x'), { message: /NOAUTH|NOPERM|WRONGPASS|off/ }, 'the default user is off')
})

t.test('deploy/relay.yaml: metrics on a port of their own, scraped, not in the Service; an autoscaler', async t => {
  const deployment = byKind('Deployment')
  const [container] = deployment.spec.template.spec.containers
  const env = Object.fromEntries(container.env.filter((variable: { value?: string }) => variable.value !== undefined)
    .map((variable: { name: string, value: string }) => [variable.name, variable.value]))
  const metrics = container.ports.find((port: { name: string }) => port.name === 'metrics')
  t.equal(metrics.containerPort, Number(env.METRICS_PORT))
  t.strictSame(container.env.find((variable: { name: string }) => variable.name === 'METRICS_HOST').valueFrom, { fieldRef: { fieldPath: 'status.podIP' } },
    "metrics on the pod's own address, not HOST's 0.0.0.0")
  const trusted = readConfig({ SECRET_KEY: 'x'.repeat(32), TRUST_PROXY: env.TRUST_PROXY }).config.TRUST_PROXY as string[]
  t.ok(Array.isArray(trusted) && trusted.every(entry => /^\d+\.\d+\.\d+\.\d+\/(1[6-9]|2\d|3[0-2])$/.test(entry)), `TRUST_PROXY names a range (${env.TRUST_PROXY})`)
  t.notOk(['uniquelocal', 'linklocal', 'loopback', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].some(range => trusted.includes(range)), 'not every private network')
  t.not(env.METRICS_PORT, env.PORT)
  t.strictSame(deployment.spec.template.metadata.annotations, { 'prometheus.io/scrape': 'true', 'prometheus.io/port': env.METRICS_PORT, 'prometheus.io/path': '/metrics' })
  t.strictSame(byKind('Service').spec.ports.map((port: { targetPort: string }) => port.targetPort), ['http'], 'Threat Response never reaches the metrics')
  const autoscaler = relayDeploy.find(resource => resource.kind === 'HorizontalPodAutoscaler')
  t.equal(autoscaler.apiVersion, 'autoscaling/v2')
  t.strictSame(autoscaler.spec.scaleTargetRef, { apiVersion: deployment.apiVersion, kind: 'Deployment', name: deployment.metadata.name })
  t.ok(autoscaler.spec.minReplicas >= 2 && autoscaler.spec.maxReplicas > autoscaler.spec.minReplicas)
  t.ok(container.resources.requests.cpu, 'CPU utilisation needs a CPU request')
})
