// The Kubernetes example agrees with the relay: the probes, Service, Secret, network policy, shared
// cache and metrics point at what the container has. No cluster runs here.
import t from 'tap'
import { parseAllDocuments } from 'yaml'
import { DEFAULT_C1FAPP_API_URL, readConfig } from '../../lib/config.js'
import { read, RELAY_VARIABLES } from '../support/project-files.js'

const kubernetes = [...parseAllDocuments(read('deploy/relay.yaml')), ...parseAllDocuments(read('deploy/secret.yaml'))].map(document => document.toJS())
const byKind = (kind: string) => kubernetes.find(resource => resource.kind === kind)

t.test('deploy/: the Deployment reads its secret from the Secret, and only variables the relay knows', async t => {
  const deployment = byKind('Deployment')
  const [container] = deployment.spec.template.spec.containers
  for (const { name } of container.env) t.ok(RELAY_VARIABLES.has(name), `${name} is read by the relay`)
  const secretRef = container.env.find((variable: { name: string }) => variable.name === 'SECRET_KEY').valueFrom.secretKeyRef
  const secret = byKind('Secret')
  t.equal(secretRef.name, secret.metadata.name)
  t.ok(secretRef.key in secret.stringData)
  t.throws(() => readConfig({ SECRET_KEY: secret.stringData[secretRef.key] }), { message: /SECRET_KEY is invalid/ },
    'the placeholder stops start-up instead of signing tokens')
  const env = Object.fromEntries(container.env.filter((variable: { value?: string }) => variable.value !== undefined)
    .map((variable: { name: string, value: string }) => [variable.name, variable.value]))
  t.doesNotThrow(() => readConfig({ SECRET_KEY: 'x'.repeat(32), ...env }), 'the other values are valid')
  t.equal(env.HOST, '0.0.0.0')
  t.strictSame(container.ports.find((port: { name: string }) => port.name === 'http'), { name: 'http', containerPort: Number(env.PORT) })
})

t.test('deploy/: no service-account token in the pod; egress only to DNS, to HTTPS outside private ranges and to the shared cache', async t => {
  const deployment = byKind('Deployment')
  t.equal(deployment.spec.template.spec.automountServiceAccountToken, false)
  const [policy, ...others] = parseAllDocuments(read('deploy/network-policy.yaml')).map(document => document.toJS())
  t.strictSame(others, [])
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

t.test('deploy/redis.yaml: the shared cache the replicas reach through its Service, with the password of one Secret', async t => {
  const [container] = byKind('Deployment').spec.template.spec.containers
  const urlRef = container.env.find((variable: { name: string }) => variable.name === 'CACHE_REDIS_URL').valueFrom.secretKeyRef
  const secret = redisKind('Secret')
  t.equal(urlRef.name, secret.metadata.name)
  const url = new URL(secret.stringData[urlRef.key])
  const service = redisKind('Service')
  const deployment = redisKind('Deployment')
  t.equal(url.hostname, service.metadata.name, 'the URL names the Service')
  t.equal(Number(url.port), service.spec.ports[0].port)
  t.strictSame(service.spec.selector, deployment.spec.selector.matchLabels)
  t.strictSame(deployment.spec.template.metadata.labels, deployment.spec.selector.matchLabels)
  const [valkey] = deployment.spec.template.spec.containers
  t.equal(service.spec.ports[0].targetPort, valkey.ports[0].name)
  t.equal(valkey.ports[0].containerPort, 6379)
  const passwordRef = valkey.env.find((variable: { name: string }) => variable.name === 'REDIS_PASSWORD').valueFrom.secretKeyRef
  t.equal(passwordRef.name, secret.metadata.name)
  t.equal(url.password, secret.stringData[passwordRef.key], 'the URL carries the password Valkey requires')
  const args = valkey.args.join(' ')
  t.match(args, /--requirepass \$\(REDIS_PASSWORD\)/)
  t.match(args, /--save {2}--appendonly no/, 'a cache: nothing persisted')
  t.match(args, /--maxmemory \d+mb --maxmemory-policy allkeys-lru/, 'bounded, evicting the least recently used')
  t.doesNotThrow(() => readConfig({ SECRET_KEY: 'x'.repeat(32), CACHE_REDIS_URL: url.href }), 'a URL the relay accepts')
})

t.test('deploy/relay.yaml: metrics on a port of their own, scraped, not in the Service; an autoscaler', async t => {
  const deployment = byKind('Deployment')
  const [container] = deployment.spec.template.spec.containers
  const env = Object.fromEntries(container.env.filter((variable: { value?: string }) => variable.value !== undefined)
    .map((variable: { name: string, value: string }) => [variable.name, variable.value]))
  const metrics = container.ports.find((port: { name: string }) => port.name === 'metrics')
  t.equal(metrics.containerPort, Number(env.METRICS_PORT))
  t.not(env.METRICS_PORT, env.PORT)
  t.strictSame(deployment.spec.template.metadata.annotations, { 'prometheus.io/scrape': 'true', 'prometheus.io/port': env.METRICS_PORT, 'prometheus.io/path': '/metrics' })
  t.strictSame(byKind('Service').spec.ports.map((port: { targetPort: string }) => port.targetPort), ['http'], 'Threat Response never reaches the metrics')
  const autoscaler = relayDeploy.find(resource => resource.kind === 'HorizontalPodAutoscaler')
  t.equal(autoscaler.apiVersion, 'autoscaling/v2')
  t.strictSame(autoscaler.spec.scaleTargetRef, { apiVersion: deployment.apiVersion, kind: 'Deployment', name: deployment.metadata.name })
  t.ok(autoscaler.spec.minReplicas >= 2 && autoscaler.spec.maxReplicas > autoscaler.spec.minReplicas)
  t.ok(container.resources.requests.cpu, 'CPU utilisation needs a CPU request')
})
