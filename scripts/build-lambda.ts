// `npm run build:lambda`: the relay as AWS Lambda runs it, in lambda-package/ (what `sam build`
// hands to `sam deploy`): dist/ from a fresh tsc build, package.json, and the production
// dependencies the lock file pins, installed with `npm ci --omit=dev --ignore-scripts`. The
// Dockerfile's runtime stage holds the same three things. Not a single-file bundle: autoload reads
// plugins/ and routes/ from dist/ at run time, and swagger-ui serves files from its own package.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
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

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`

export function describe (report: PackageReport): string {
  return `${path.relative(process.cwd(), report.dir) || '.'}/: ${mb(report.totalBytes)} (${report.totalBytes} bytes): ` +
    `dist/ ${mb(report.distBytes)}, node_modules/ ${mb(report.modulesBytes)} in ${report.packages} production packages\n` +
    `no dev dependency inside (none of the ${report.devPackages} dev-only packages of package-lock.json), no native addon\n` +
    "Lambda's limit: 250 MB unzipped. Next: sam deploy (after sam build, which runs this)"
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(describe(await buildProductionPackage(path.join(root, 'lambda-package'))))
}
