// template.yaml agrees with the relay: the SAM template routes every relay route to the Lambda
// function and sets only variables the relay reads, with the relay's own defaults. No AWS runs
// here: these are the checks that can be made without it (test/deploy/production.test.ts runs
// what the Lambda package holds).
import t from 'tap'
import { parseDocument } from 'yaml'
import { DEFAULT_C1FAPP_API_URL, DEFAULT_JWKS_HOSTS, EnvironmentSchema, readConfig } from '../../lib/config.js'
import { buildRelay } from '../helper.js'
import { exists, read, RELAY_VARIABLES } from '../support/project-files.js'

// The CloudFormation short forms the template uses, as the intrinsic functions they stand for;
// any other tag is an unresolved-tag warning, which fails the first test.
const cloudFormationTags = [
  { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
  { tag: '!Sub', resolve: (value: string) => ({ 'Fn::Sub': value }) },
  { tag: '!If', collection: 'seq' as const, resolve: (value: any) => ({ 'Fn::If': value.toJSON() }) },
  { tag: '!Not', collection: 'seq' as const, resolve: (value: any) => ({ 'Fn::Not': value.toJSON() }) },
  { tag: '!Equals', collection: 'seq' as const, resolve: (value: any) => ({ 'Fn::Equals': value.toJSON() }) },
  { tag: '!Or', collection: 'seq' as const, resolve: (value: any) => ({ 'Fn::Or': value.toJSON() }) },
  { tag: '!And', collection: 'seq' as const, resolve: (value: any) => ({ 'Fn::And': value.toJSON() }) },
  { tag: '!FindInMap', collection: 'seq' as const, resolve: (value: any) => ({ 'Fn::FindInMap': value.toJSON() }) },
  { tag: '!Condition', resolve: (value: string) => ({ Condition: value }) }
]

const templateDocument = parseDocument(read('template.yaml'), { customTags: cloudFormationTags })
const template = templateDocument.toJS()
const [functionId, fn] = Object.entries(template.Resources as Record<string, any>).find(([, resource]) => resource.Type === 'AWS::Serverless::Function')!
const parameters = template.Parameters as Record<string, any>

/** Every variable the relay reads: its schema's, and the limit it reads apart. */

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
  t.notOk('NODE_OPTIONS' in variables, 'node runs with its default options, as npm start and the Dockerfile run it')
  for (const [name, value] of Object.entries(variables)) {
    t.ok(RELAY_VARIABLES.has(name), `${name} is read by the relay`)
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
  t.strictSame(template.Conditions.HasSecretKeyParameter, { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'SecretKeyParameter' }, ''] }] })
})

const parameterArn = (name: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter\${${name}}` })

t.test('template.yaml: the secrets come from SecureStrings the function alone may read, the Redis URL too', async t => {
  const variables = fn.Properties.Environment.Variables as Record<string, unknown>
  for (const name of ['SECRET_KEY', 'CACHE_REDIS_URL', 'CACHE_REDIS_SECRET']) t.notOk(name in variables, `${name} is no plain variable`)
  t.notOk(JSON.stringify(template).includes('CacheRedisUrl"') || 'CacheRedisUrl' in parameters, 'no parameter that carries the Redis URL itself')
  t.strictSame(variables.CACHE_REDIS_URL_PARAMETER, { Ref: 'CacheRedisUrlParameter' })
  t.strictSame(variables.CACHE_REDIS_SECRET_PARAMETER, { Ref: 'CacheRedisSecretParameter' })
  for (const name of ['CacheRedisUrlParameter', 'CacheRedisSecretParameter']) {
    t.equal(parameters[name].Default, '')
    t.equal(parameters[name].AllowedPattern, parameters.SecretKeyParameter.AllowedPattern, `${name}: a Parameter Store name`)
  }
  t.strictSame(template.Conditions.ReadsParameters, { 'Fn::Or': [{ Condition: 'HasSecretKeyParameter' }, { Condition: 'HasCacheRedisUrlParameter' }, { Condition: 'HasCacheRedisSecretParameter' }] })
  const [grant, vpcAccess, ...others] = fn.Properties.Policies
  t.strictSame(others, [])
  t.strictSame(grant, {
    'Fn::If': ['ReadsParameters', {
      Statement: [{
        Effect: 'Allow',
        Action: 'ssm:GetParameter',
        Resource: [
          { 'Fn::If': ['HasSecretKeyParameter', parameterArn('SecretKeyParameter'), { Ref: 'AWS::NoValue' }] },
          { 'Fn::If': ['HasCacheRedisUrlParameter', parameterArn('CacheRedisUrlParameter'), { Ref: 'AWS::NoValue' }] },
          { 'Fn::If': ['HasCacheRedisSecretParameter', parameterArn('CacheRedisSecretParameter'), { Ref: 'AWS::NoValue' }] }
        ]
      }]
    }, { Ref: 'AWS::NoValue' }]
  }, 'ssm:GetParameter on the parameters named, nothing else')
  t.strictSame(vpcAccess, { 'Fn::If': ['HasCacheRedisUrlParameter', 'AWSLambdaVPCAccessExecutionRole', { Ref: 'AWS::NoValue' }] })
})

t.test('template.yaml: the extension layer, from a per-region mapping of AWS\'s ARNs unless given', async t => {
  t.strictSame(fn.Properties.Layers, [{
    'Fn::If': ['ReadsParameters', {
      'Fn::If': ['HasExtensionLayerArn', { Ref: 'ParametersExtensionLayerArn' }, { 'Fn::FindInMap': ['ParametersExtensionArm64', { Ref: 'AWS::Region' }, 'LayerArn'] }]
    }, { Ref: 'AWS::NoValue' }]
  }])
  t.strictSame(fn.Properties.Architectures, ['arm64'], 'the arm64 layer for an arm64 function')
  const allowed = new RegExp(parameters.ParametersExtensionLayerArn.AllowedPattern)
  const mapping = template.Mappings.ParametersExtensionArm64 as Record<string, { LayerArn: string }>
  t.ok(Object.keys(mapping).length >= 10)
  for (const [region, { LayerArn }] of Object.entries(mapping)) {
    t.match(LayerArn, new RegExp(`^arn:aws:lambda:${region}:\\d{12}:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:\\d+$`), `${region}: its own region's layer`)
    t.ok(allowed.test(LayerArn), `${region}: an ARN the parameter would accept too`)
  }
  t.equal(mapping['eu-west-1'].LayerArn, 'arn:aws:lambda:eu-west-1:015030872274:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:2')
  t.match(read('docs/deploy.md'), /ParametersExtensionArm64[\s\S]*AWS\s+Parameters\s+and\s+Secrets\s+Lambda\s+Extension\s+ARNs/, 'docs/deploy.md says where the ARNs come from')
})

t.test('template.yaml: the shared cache runs the function in the Redis\' VPC', async t => {
  t.strictSame(fn.Properties.VpcConfig, {
    'Fn::If': ['HasCacheRedisUrlParameter', { SubnetIds: { Ref: 'RedisSubnetIds' }, SecurityGroupIds: { Ref: 'RedisSecurityGroupIds' } }, { Ref: 'AWS::NoValue' }]
  })
  for (const name of ['RedisSubnetIds', 'RedisSecurityGroupIds']) {
    t.equal(parameters[name].Type, 'CommaDelimitedList')
    t.equal(parameters[name].Default, '')
  }
})

// CloudFormation's rule functions, over the parameters a deployer gives (a CommaDelimitedList as its list).
function evaluate (expression: any, given: Record<string, string | string[]>): any {
  if (typeof expression === 'string') return expression
  const [[name, argument]] = Object.entries(expression) as Array<[string, any]>
  const value = (index: number) => evaluate(argument[index], given)
  switch (name) {
    case 'Ref': return given[argument] ?? (parameters[argument].Type === 'CommaDelimitedList' ? parameters[argument].Default.split(',') : parameters[argument].Default)
    case 'Fn::Equals': return JSON.stringify(value(0)) === JSON.stringify(value(1))
    case 'Fn::Not': return !(value(0) as boolean)
    case 'Fn::Or': return argument.some((_: unknown, index: number) => value(index))
    case 'Fn::And': return argument.every((_: unknown, index: number) => value(index))
    case 'Fn::Contains': return (value(0) as string[]).includes(value(1))
    default: throw new Error(`no rule function ${name}`)
  }
}

/** The assertions of template.yaml's Rules that refuse `given`. */
function refusals (given: Record<string, string | string[]>): string[] {
  return Object.values(template.Rules as Record<string, any>).flatMap(rule => rule.RuleCondition === undefined || evaluate(rule.RuleCondition, given)
    ? rule.Assertions.filter((assertion: any) => !evaluate(assertion.Assert, given)).map((assertion: any) => assertion.AssertDescription)
    : [])
}

t.test('template.yaml: its Rules refuse at deploy time what the relay would refuse at start', async t => {
  t.match(refusals({}), [/^Set SecretKeyParameter \(HS256 tokens\) or RelayPublicUrl/], 'neither scheme: refused')
  t.throws(() => readConfig({}), { message: /neither is set/ }, 'as the relay would')
  t.strictSame(refusals({ SecretKeyParameter: '/relay/secret-key' }), [])
  t.strictSame(refusals({ RelayPublicUrl: 'https://relay.example' }), [])
  const vpc = { RedisSubnetIds: ['subnet-0a1b2c3d'], RedisSecurityGroupIds: ['sg-0a1b2c3d'] }
  t.match(refusals({ SecretKeyParameter: '/relay/secret-key', CacheRedisUrlParameter: '/relay/redis-url' }),
    [/needs RedisSubnetIds/, /needs RedisSecurityGroupIds/], 'a Redis URL without the VPC: refused')
  t.strictSame(refusals({ SecretKeyParameter: '/relay/secret-key', CacheRedisUrlParameter: '/relay/redis-url', ...vpc }), [])
  t.match(refusals({ RelayPublicUrl: 'https://relay.example', CacheRedisUrlParameter: '/relay/redis-url', ...vpc }), [/needs CacheRedisSecretParameter/],
    'RS256 only with a Redis: the entries\' secret is required')
  t.throws(() => readConfig({ RELAY_PUBLIC_URL: 'https://relay.example', CACHE_REDIS_URL: 'redis://cache.example' }), { message: /CACHE_REDIS_URL needs CACHE_REDIS_SECRET/ }, 'as the relay would')
  t.strictSame(refusals({ RelayPublicUrl: 'https://relay.example', CacheRedisUrlParameter: '/relay/redis-url', CacheRedisSecretParameter: '/relay/redis-secret', ...vpc }), [])
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
