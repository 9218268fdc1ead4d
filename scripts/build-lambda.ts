// `npm run build:lambda`: the relay as AWS Lambda runs it, in lambda-package/ (what `sam build`
// hands to `sam deploy`): dist/ from a fresh tsc build, package.json, and the production
// dependencies the lock file pins, installed with `npm ci --omit=dev --ignore-scripts`. The
// Dockerfile's runtime stage holds the same three things. Then dist/lambda.js, the handler, is
// replaced by one esbuild bundle of the relay, for the cold start: a new Lambda instance reads one
// file instead of resolving and compiling some 400 modules, and the bundle builds the relay and
// waits for its ready() at the top level, in Lambda's init phase. autoload's directory reading is
// replaced in the bundle by static imports of plugins/ and routes/; the files swagger-ui serves
// stay in node_modules/.
import { execFile } from 'node:child_process'
import { build, type Plugin } from 'esbuild'
import { existsSync } from 'node:fs'
import { createRequire, isBuiltin } from 'node:module'
import { cp, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))

export interface PackageReport {
  dir: string
  distBytes: number
  modulesBytes: number
  totalBytes: number
  packages: number
  /** dev-only packages of package-lock.json, none of which is inside */
  devPackages: number
}

/** Only what npm needs, so nothing of the calling process leaks in (npm run's settings, tap's hooks). */
export function cleanEnv (extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const name of ['PATH', 'HOME', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy']) {
    const value = process.env[name]
    if (value !== undefined) env[name] = value
  }
  return { ...env, ...extra }
}

async function filesUnder (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter(entry => entry.isFile()).map(entry => path.join(entry.parentPath, entry.name))
}

async function bytesOf (files: string[]): Promise<number> {
  let bytes = 0
  for (const file of files) bytes += (await stat(file)).size
  return bytes
}

/** Builds the production package into `target` (emptied first); throws when a dev dependency or a native addon is inside. */
export async function buildProductionPackage (target: string): Promise<PackageReport> {
  await rm(target, { recursive: true, force: true })
  await mkdir(target, { recursive: true })
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  await run(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', path.join(target, 'dist')], { cwd: root })
  for (const file of ['package.json', 'package-lock.json']) await cp(path.join(root, file), path.join(target, file))
  await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: target, env: cleanEnv() })

  const lock = JSON.parse(await readFile(path.join(target, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> }
  const locked = Object.entries(lock.packages).filter(([key]) => key.startsWith('node_modules/'))
  const devOnly = locked.filter(([, entry]) => entry.dev === true).map(([key]) => key)
  const devInside = devOnly.filter(key => existsSync(path.join(target, key)))
  if (devInside.length > 0) throw new Error(`dev dependencies inside ${target}: ${devInside.join(', ')}`)
  const installed = locked.filter(([key, entry]) => entry.dev !== true && existsSync(path.join(target, key)))

  const modules = await filesUnder(path.join(target, 'node_modules'))
  // Lambda may run on another CPU than the build's: only JavaScript travels safely.
  const addons = modules.filter(file => file.endsWith('.node'))
  if (addons.length > 0) throw new Error(`native addons inside ${target}: ${addons.join(', ')}`)

  const distBytes = await bytesOf(await filesUnder(path.join(target, 'dist')))
  const modulesBytes = await bytesOf(modules)
  const rest = await bytesOf(['package.json', 'package-lock.json'].map(file => path.join(target, file)))
  return {
    dir: target,
    distBytes,
    modulesBytes,
    totalBytes: distBytes + modulesBytes + rest,
    packages: installed.length,
    devPackages: devOnly.length
  }
}

/** The files autoload would find under `dir` (the project's TypeScript), with the route prefix of each. */
async function pluginFiles (dir: string): Promise<Array<{ file: string, prefix: string }>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter(entry => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map(entry => {
      const file = path.join(entry.parentPath, entry.name)
      const folder = path.relative(dir, entry.parentPath).split(path.sep).join('/')
      return { file, prefix: folder === '' ? '' : `/${folder}` }
    })
    .sort((a, b) => a.file.localeCompare(b.file))
}

/**
 * @fastify/autoload for the bundle: the same registrations (each plugin after the plugins it
 * depends on, each file under a subfolder with that folder as its prefix, autoload's `options`
 * passed to each), from imports fixed at build time.
 */
const staticAutoload: Plugin = {
  name: 'static-autoload',
  setup (esbuild) {
    esbuild.onResolve({ filter: /^@fastify\/autoload$/ }, () => ({ path: 'autoload', namespace: 'static-autoload' }))
    esbuild.onLoad({ filter: /.*/, namespace: 'static-autoload' }, async () => {
      const lines: string[] = []
      const folders: string[] = []
      for (const folder of ['plugins', 'routes']) {
        const files = await pluginFiles(path.join(root, folder))
        const entries = files.map(({ file, prefix }) => {
          lines.push(`import * as m${lines.length} from ${JSON.stringify(file)}`)
          return `{ plugin: m${lines.length - 1}.default, prefix: ${JSON.stringify(prefix)} }`
        })
        folders.push(`${JSON.stringify(folder)}: [${entries.join(', ')}]`)
      }
      return {
        resolveDir: root,
        loader: 'js',
        contents: `${lines.join('\n')}
const folders = { ${folders.join(', ')} }
export default async function autoload (fastify, { dir, options = {} }) {
  const entries = folders[dir.split(/[\\/]/).pop()]
  const byName = new Map(entries.map(entry => [entry.plugin[Symbol.for('plugin-meta')]?.name ?? entry, entry]))
  const registered = new Set()
  const register = entry => {
    if (registered.has(entry)) return
    registered.add(entry)
    for (const name of entry.plugin[Symbol.for('plugin-meta')]?.dependencies ?? []) if (byName.has(name)) register(byName.get(name))
    fastify.register(entry.plugin, entry.prefix === '' ? { ...options } : { ...options, prefix: entry.prefix })
  }
  for (const entry of entries) register(entry)
}
autoload[Symbol.for('skip-override')] = true
`
      }
    })
  }
}

/**
 * swagger-ui finds its logo and the files it serves beside its own code (`__dirname`), which its
 * code bundled has not: there, `__dirname` names the folder of the installed package, which the
 * Lambda package keeps in node_modules/. Bundled, its code and its dependencies' (files Node
 * would otherwise resolve and compile one by one) cost a new instance less to start.
 */
const swaggerUiFiles: Plugin = {
  name: 'swagger-ui-files',
  setup (esbuild) {
    esbuild.onLoad({ filter: /[\\/]@fastify[\\/]swagger-ui[\\/](?:index|lib[\\/]routes)\.js$/ }, async args => {
      const folder = path.relative(path.dirname(createRequire(args.path).resolve('@fastify/swagger-ui/package.json')), path.dirname(args.path))
      const installed = "require('node:path').dirname(require.resolve('@fastify/swagger-ui/package.json'))"
      const dirname = `require('node:path').join(${installed}, ${JSON.stringify(folder.split(path.sep).join('/'))})`
      return { contents: (await readFile(args.path, 'utf8')).replaceAll('__dirname', `(${dirname})`), loader: 'js' }
    })
  }
}

/**
 * Packages the relay's dependencies load at start-up and use rarely or never, bundled but run
 * only when first used: yaml (@fastify/swagger's /documentation/yaml), glob (@fastify/static's
 * `wildcard: false`, which swagger-ui does not set) and http2-wrapper (got's HTTP/2, which the
 * client does not use). Each would run its modules' top level in every new instance's init.
 * A package is a Proxy that loads it at its first property read, or, for one its importer
 * destructures as it loads, functions that load it when called.
 */
const LAZY_PACKAGES: Record<string, string[] | 'proxy'> = { yaml: 'proxy', 'http2-wrapper': 'proxy', glob: ['glob'] }

const lazyPackages: Plugin = {
  name: 'lazy-packages',
  setup (esbuild) {
    const names = Object.keys(LAZY_PACKAGES).map(name => name.replace(/[.-]/g, '\\$&')).join('|')
    esbuild.onResolve({ filter: new RegExp(`^(?:${names})$`) }, args => (args.pluginData as { real?: boolean } | undefined)?.real === true
      ? undefined
      : { path: args.path, namespace: 'lazy-package', pluginData: { resolveDir: args.resolveDir } })
    // the stub's own require of the package: the real one, resolved from the importer's folder
    esbuild.onResolve({ filter: /^lazy-real:/ }, async args => {
      const real = await esbuild.resolve(args.path.slice('lazy-real:'.length), { resolveDir: args.resolveDir, kind: 'require-call', pluginData: { real: true } })
      return { path: real.path, external: real.external }
    })
    esbuild.onLoad({ filter: /.*/, namespace: 'lazy-package' }, args => {
      const used = LAZY_PACKAGES[args.path]
      const load = `let real\nconst load = () => (real ??= require(${JSON.stringify(`lazy-real:${args.path}`)}))\n`
      const exported = used === 'proxy'
        // esbuild's ESM interop asks a CommonJS package for __esModule as it is imported: none of these sets it
        ? "module.exports = new Proxy({}, { get: (_, key) => key === '__esModule' ? undefined : load()[key] })"
        : `module.exports = { ${used.map(name => `${name}: (...args) => load().${name}(...args)`).join(', ')} }`
      return { contents: load + exported, loader: 'js', resolveDir: (args.pluginData as { resolveDir: string }).resolveDir }
    })
  }
}

/**
 * Node's own modules, imported by ES modules in the bundle, as `require()` calls instead: an ES
 * import of a built-in makes Node build its ES facade, which reads every export, lazy ones
 * included, and node:http's lazy WebSocket and MessageEvent load undici, Node's fetch: some 20 ms
 * of every new instance's init on Node.js 24 (an ES import of node:http took 25 ms here, its
 * require() 3 ms), for nothing the relay uses. `require()` hands the module over as it is.
 */
const builtinsByRequire: Plugin = {
  name: 'builtins-by-require',
  setup (esbuild) {
    esbuild.onResolve({ filter: /^[a-z_:/]+$/ }, args => args.kind === 'import-statement' && isBuiltin(args.path)
      ? { path: args.path, namespace: 'builtin-by-require' }
      : undefined)
    esbuild.onLoad({ filter: /.*/, namespace: 'builtin-by-require' }, args => ({ contents: `module.exports = require(${JSON.stringify(args.path)})`, loader: 'js' }))
  }
}

/** Bundles the Lambda handler into `outfile` (an ES module); packages it cannot carry stay imports from node_modules/. */
export async function bundleLambda (outfile: string): Promise<void> {
  await build({
    stdin: {
      // Lambda runs a module's top level in its init phase, before the first event: the relay is
      // built and ready there. Bad configuration is kept for each invocation to report, as lambda.ts does.
      contents: `import { handler } from './lambda.ts'
await handler.server().catch(() => undefined)
export { handler }
`,
      resolveDir: root,
      loader: 'ts',
      sourcefile: 'lambda-init.ts'
    },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // the CommonJS packages inside call require() for Node's own modules
    banner: { js: "import { createRequire as bundleRequire } from 'node:module'; const require = bundleRequire(import.meta.url);" },
    // loaded only where they are used, never on Lambda but with CACHE_REDIS_URL: from node_modules/
    external: ['ioredis', 'prom-client'],
    plugins: [staticAutoload, swaggerUiFiles, lazyPackages, builtinsByRequire],
    logLevel: 'warning'
  })
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`

export function describe (report: PackageReport): string {
  return `${path.relative(process.cwd(), report.dir) || '.'}/: ${mb(report.totalBytes)} (${report.totalBytes} bytes): ` +
    `dist/ ${mb(report.distBytes)}, node_modules/ ${mb(report.modulesBytes)} in ${report.packages} production packages\n` +
    `no dev dependency inside (none of the ${report.devPackages} dev-only packages of package-lock.json), no native addon\n` +
    "Lambda's limit: 250 MB unzipped. Next: sam deploy (after sam build, which runs this)"
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const target = path.join(root, 'lambda-package')
  const report = await buildProductionPackage(target)
  await bundleLambda(path.join(target, 'dist', 'lambda.js'))
  console.log(describe(report))
  console.log(`dist/lambda.js: the handler, bundled (${mb((await stat(path.join(target, 'dist', 'lambda.js'))).size)})`)
}
