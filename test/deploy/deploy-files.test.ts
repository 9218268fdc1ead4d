// The deployment files agree with the relay: the SAM template routes every relay route to the
// Lambda function and sets only variables the relay reads, with the relay's own defaults; the
// Dockerfile copies what the build compiles; the Kubernetes probes, Service and Secret point at
// what the container has. No AWS, Docker engine or cluster runs here: these are the checks that
// can be made without one (test/deploy/production.test.ts runs what the image and the Lambda hold).
import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { parseAllDocuments, parseDocument } from 'yaml'
import { DEFAULT_C1FAPP_API_URL, DEFAULT_JWKS_HOSTS, EnvironmentSchema, readConfig } from '../../lib/config.js'
import { buildRelay } from '../helper.js'

const read = (file: string): string => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')
const exists = (file: string): boolean => existsSync(new URL(`../../${file}`, import.meta.url))

// The CloudFormation short forms the template uses, as the intrinsic functions they stand for;
// any other tag is an unresolved-tag warning, which fails the first test.
const cloudFormationTags = [
  { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
  { tag: '!Sub', resolve: (value: string) => ({ 'Fn::Sub': value }) },
  { tag: '!If', collection: 'seq' as const, resolve: (value: any) => ({ 'Fn::If': value.toJSON() }) },
  { tag: '!Not', collection: 'seq' as const, resolve: (value: any) => ({ 'Fn::Not': value.toJSON() }) },
  { tag: '!Equals', collection: 'seq' as const, resolve: (value: any) => ({ 'Fn::Equals': value.toJSON() }) }
]

const templateDocument = parseDocument(read('template.yaml'), { customTags: cloudFormationTags })
const template = templateDocument.toJS()
const [functionId, fn] = Object.entries(template.Resources as Record<string, any>).find(([, resource]) => resource.Type === 'AWS::Serverless::Function')!
const parameters = template.Parameters as Record<string, any>

/** Every variable the relay reads: its schema's, and the limit it reads apart. */
const relayVariables = new Set([...Object.keys(EnvironmentSchema.properties), 'CTR_ENTITIES_LIMIT'])

t.test('template.yaml: a SAM template whose function runs lambda.ts on a current Node.js', async t => {
  t.strictSame([...templateDocument.errors, ...templateDocument.warnings].map(problem => problem.message), [], 'YAML with known tags only')
  t.equal(template.AWSTemplateFormatVersion, '2010-09-09')
  t.equal(template.Transform, 'AWS::Serverless-2016-10-31')
  t.equal(fn.Properties.Handler, 'dist/lambda.handler', 'dist/lambda.js, export handler')
  t.ok(exists('lambda.ts'))
  t.type((await import('../../lambda.js')).handler, 'function')
  const major = Number(/^nodejs(\d+)\.x$/.exec(fn.Properties.Runtime)?.[1])
  const engines = JSON.parse(read('package.json')).engines.node as string
  const supported = engines.split('||').map(range => Number(/^\s*\^(\d+)\s*$/.exec(range)?.[1]))
  t.ok(supported.every(Number.isInteger), `engines ${engines}: the supported major versions, each as ^<major>`)
  t.ok(supported.includes(major), `${fn.Properties.Runtime} satisfies engines ${engines}`)
  for (const stage of read('Dockerfile').matchAll(/^FROM node:(\d+)-slim/gm)) t.equal(Number(stage[1]), major, 'the image runs the same Node.js')
})

t.test('template.yaml: `sam build` runs npm run build:lambda through the Makefile', async t => {
  t.equal(fn.Metadata.BuildMethod, 'makefile')
  t.equal(fn.Properties.CodeUri, '.')
  const target = new RegExp(`^build-${functionId}:\\n\\tnpm run build:lambda\\n\\tcp -R lambda-package/\\. "\\$\\(ARTIFACTS_DIR\\)"$`, 'm')
  t.match(read('Makefile'), target)
  t.equal(JSON.parse(read('package.json')).scripts['build:lambda'], 'tsx scripts/build-lambda.ts')
})

t.test('template.yaml: the function outlives the relay\'s C1fApp deadline, within the HTTP API\'s 30 s', async t => {
  const timeout = fn.Properties.Timeout as number
  t.ok(timeout <= 30, 'the HTTP API stops waiting after 30 s')
  t.ok(timeout * 1000 > readConfig({ SECRET_KEY: 'x'.repeat(32) }).config.C1FAPP_TIMEOUT_MS, 'longer than the default deadline')
  t.ok(timeout * 1000 > parameters.C1fAppTimeoutMs.MaxValue, 'longer than the largest deadline the stack accepts')
})

t.test('template.yaml: one HTTP API route for each relay route, and the documentation', async t => {
  const { app } = await buildRelay(t)
  const relayRoutes = Object.entries(app.swagger().paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, methods]) => Object.keys(methods).map(method => `${method.toUpperCase()} ${path}`))
  const routed = Object.values(fn.Properties.Events as Record<string, any>).map(event => {
    t.equal(event.Type, 'HttpApi')
    t.strictSame(event.Properties.ApiId, { Ref: 'RelayApi' })
    return `${event.Properties.Method} ${event.Properties.Path}`
  })
  t.strictSame(routed.sort(), [...relayRoutes, 'GET /documentation', 'GET /documentation/{proxy+}'].sort())
  t.equal(template.Resources.RelayApi.Type, 'AWS::Serverless::HttpApi')
  t.match(template.Outputs.RelayUrl.Value['Fn::Sub'], /^https:\/\/\$\{RelayApi\}\.execute-api\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\}$/)
})

t.test('template.yaml: the parameters become the relay\'s variables, with its defaults', async t => {
  const variables = fn.Properties.Environment.Variables as Record<string, unknown>
  for (const [name, value] of Object.entries(variables)) {
    if (name === 'NODE_OPTIONS') continue
    t.ok(relayVariables.has(name), `${name} is read by the relay`)
    const ref = (value as { Ref: string }).Ref
    t.ok(parameters[ref], `${name} comes from the parameter ${ref}`)
  }
  for (const name of ['SECRET_KEY_PARAMETER', 'C1FAPP_API_URL', 'CTR_ENTITIES_LIMIT', 'LOG_LEVEL', 'RELAY_PUBLIC_URL', 'JWKS_HOSTS']) {
    t.ok(name in variables, `${name} is a parameter of the stack`)
  }
  const used = new Set([...JSON.stringify(template.Resources).matchAll(/"Ref":"(\w+)"/g)].map(match => match[1]))
  for (const name of Object.keys(parameters)) t.ok(used.has(name), `the parameter ${name} is used`)

  t.equal(parameters.C1fAppApiUrl.Default, DEFAULT_C1FAPP_API_URL)
  t.equal(parameters.JwksHosts.Default, DEFAULT_JWKS_HOSTS)
  t.strictSame(parameters.LogLevel.AllowedValues, EnvironmentSchema.properties.LOG_LEVEL.anyOf.map((level: { const: string }) => level.const))
  const defaults = readConfig({ SECRET_KEY: 'x'.repeat(32) }).config
  t.equal(parameters.LogLevel.Default, defaults.LOG_LEVEL)
  t.equal(parameters.C1fAppTimeoutMs.Default, defaults.C1FAPP_TIMEOUT_MS)
  t.equal(Number(parameters.CtrEntitiesLimit.Default), defaults.CTR_ENTITIES_LIMIT)
})

t.test('template.yaml: SECRET_KEY is no plain variable: the function reads it from a SecureString it alone may read', async t => {
  const variables = fn.Properties.Environment.Variables as Record<string, unknown>
  t.notOk('SECRET_KEY' in variables, 'lambda:GetFunctionConfiguration shows no secret')
  t.strictSame(variables.SECRET_KEY_PARAMETER, { Ref: 'SecretKeyParameter' })
  const name = parameters.SecretKeyParameter
  t.equal(name.Default, '')
  const allowed = new RegExp(name.AllowedPattern)
  for (const value of ['', '/c1fapp-relay/secret-key', '/relay.prod/SECRET_KEY-2']) {
    t.ok(allowed.test(value), `"${value}" is accepted`)
    if (value !== '') t.doesNotThrow(() => readConfig({ RELAY_PUBLIC_URL: 'https://relay.example', SECRET_KEY_PARAMETER: value }), 'and the relay agrees')
  }
  for (const value of ['c1fapp-relay/secret-key', '/a b', '/a;b']) {
    t.notOk(allowed.test(value), `"${value}" is refused`)
    t.throws(() => readConfig({ RELAY_PUBLIC_URL: 'https://relay.example', SECRET_KEY_PARAMETER: value }), { message: /SECRET_KEY_PARAMETER is invalid/ }, 'as the relay refuses it')
  }
  const has = { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'SecretKeyParameter' }, ''] }] }
  t.strictSame(template.Conditions.HasSecretKeyParameter, has)
  t.strictSame(fn.Properties.Layers, { 'Fn::If': ['HasSecretKeyParameter', [{ Ref: 'ParametersExtensionLayerArn' }], { Ref: 'AWS::NoValue' }] }, 'the extension layer')
  t.strictSame(fn.Properties.Policies, [{
    'Fn::If': ['HasSecretKeyParameter', {
      // eslint-disable-next-line no-template-curly-in-string -- CloudFormation's own ${} substitution
      Statement: [{ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${SecretKeyParameter}' } }]
    }, { Ref: 'AWS::NoValue' }]
  }], 'ssm:GetParameter on that one parameter, nothing else')
  const rule = template.Rules.ExtensionForTheParameter
  t.strictSame(rule.RuleCondition, has)
  t.strictSame(rule.Assertions[0].Assert, { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ParametersExtensionLayerArn' }, ''] }] }, 'no parameter without the layer')
  t.match('arn:aws:lambda:eu-west-1:123456789012:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:12', new RegExp(parameters.ParametersExtensionLayerArn.AllowedPattern))
})

t.test('template.yaml: the HTTP API is throttled and the function\'s concurrency may be capped', async t => {
  t.strictSame(template.Resources.RelayApi.Properties.DefaultRouteSettings, {
    ThrottlingRateLimit: { Ref: 'ThrottlingRateLimit' },
    ThrottlingBurstLimit: { Ref: 'ThrottlingBurstLimit' }
  })
  for (const name of ['ThrottlingRateLimit', 'ThrottlingBurstLimit']) {
    t.equal(parameters[name].Type, 'Number')
    t.ok(parameters[name].Default >= parameters[name].MinValue && parameters[name].MinValue >= 1, `${name} has a default of at least 1`)
  }
  t.strictSame(fn.Properties.ReservedConcurrentExecutions, { 'Fn::If': ['HasReservedConcurrency', { Ref: 'ReservedConcurrency' }, { Ref: 'AWS::NoValue' }] })
  t.strictSame(template.Conditions.HasReservedConcurrency, { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ReservedConcurrency' }, 0] }] })
  t.equal(parameters.ReservedConcurrency.Default, 0, 'off unless the deployer sets it')
})

/** The Dockerfile's instructions, continuation lines joined. */
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

const kubernetes = [...parseAllDocuments(read('deploy/relay.yaml')), ...parseAllDocuments(read('deploy/secret.yaml'))].map(document => document.toJS())
const byKind = (kind: string) => kubernetes.find(resource => resource.kind === kind)

t.test('deploy/: the Deployment reads its secret from the Secret, and only variables the relay knows', async t => {
  const deployment = byKind('Deployment')
  const [container] = deployment.spec.template.spec.containers
  for (const { name } of container.env) t.ok(relayVariables.has(name), `${name} is read by the relay`)
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

t.test('template.yaml: CacheRedisUrl, an optional NoEcho parameter, becomes CACHE_REDIS_URL', async t => {
  const cache = parameters.CacheRedisUrl
  t.equal(cache.NoEcho, true)
  t.equal(cache.Default, '')
  t.strictSame(fn.Properties.Environment.Variables.CACHE_REDIS_URL, { Ref: 'CacheRedisUrl' })
  const allowed = new RegExp(cache.AllowedPattern)
  for (const value of ['', 'redis://cache.example:6379', 'rediss://default:secret@cache.example:6380/0']) {
    t.ok(allowed.test(value), value)
    t.doesNotThrow(() => readConfig({ SECRET_KEY: 'x'.repeat(32), CACHE_REDIS_URL: value }))
  }
  for (const value of ['http://cache.example', 'cache.example:6379']) t.notOk(allowed.test(value), value)
})
