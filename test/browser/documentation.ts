// `npm run test:browser`: /documentation in headless Chromium. Inject tests see the headers and the
// HTML, not what a browser does with them: a Content-Security-Policy that blocks swagger-ui's
// scripts or styles leaves an empty page with every inject test passing. Here every route and
// every named schema of the description must render, with no console error and no CSP violation.
// Needs Chromium (the Debian `chromium` package; CHROMIUM_PATH names another); .ci/run installs it.
import type { AddressInfo } from 'node:net'
import puppeteer, { type Page } from 'puppeteer-core'
import t from 'tap'
import { buildServer } from '../../build-server.js'
import { readConfig } from '../../lib/config.js'
import { startSimulator } from '../../simulator/server.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

// The page's globals that the functions run in Chromium use (the project compiles without the DOM library).
declare const window: { cspViolations: string[] }
declare const document: {
  addEventListener: (type: 'securitypolicyviolation', listener: (event: { effectiveDirective: string, blockedURI: string }) => void) => void
  querySelector: (selector: string) => { textContent: string | null } | null
}

interface Description {
  paths: Record<string, Record<string, unknown>>
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> }
}

/** The relay as `npm start` runs it, on a simulator and a free loopback port. */
async function startRelay (): Promise<string> {
  const simulator = await startSimulator()
  t.teardown(() => simulator.close())
  const relay = await buildServer(readConfig({
    SECRET_KEY: 'browser-test-secret-key-that-is-long-enough-0123',
    C1FAPP_API_URL: simulator.url,
    LOG_LEVEL: 'warn'
  }))
  t.teardown(() => relay.close())
  await relay.listen({ host: '127.0.0.1', port: 0 })
  return `http://127.0.0.1:${(relay.server.address() as AddressInfo).port}`
}

/** Chromium's complaints while the page loads: console errors, uncaught errors, CSP violations, failed requests. */
function watch (page: Page): string[] {
  const problems: string[] = []
  page.on('console', message => { if (message.type() === 'error') problems.push(`console: ${message.text()}`) })
  page.on('pageerror', error => problems.push(`page error: ${String(error)}`))
  page.on('requestfailed', request => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`))
  page.on('response', response => { if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`) })
  return problems
}

let description: Description
let page: Page
let problems: string[]

t.before(async () => {
  const base = await startRelay()
  description = await (await fetch(`${base}/documentation/json`)).json() as Description
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Chromium's sandbox refuses to start as root (CI containers)
    args: process.getuid?.() === 0 ? ['--no-sandbox', '--headless=new'] : ['--headless=new']
  })
  t.teardown(() => browser.close())
  page = await browser.newPage()
  problems = watch(page)
  // the page's own scripts cannot see this listener, and the page's policy does not apply to it
  await page.evaluateOnNewDocument(() => {
    window.cspViolations = []
    document.addEventListener('securitypolicyviolation', event => window.cspViolations.push(`${event.effectiveDirective} blocked ${event.blockedURI}`))
  })
  const answer = await page.goto(`${base}/documentation`, { waitUntil: 'networkidle0' })
  t.equal(answer?.status(), 200, '/documentation answers')
  t.match(answer?.headers()['content-security-policy'], /script-src/, 'the UI has its own policy')
  // a page that does not render fails the tests below, which say what is missing
  await page.waitForSelector('.opblock', { timeout: 15_000 }).catch(() => {})
})

t.test('every route of the description renders as an operation', async t => {
  const operations = await page.$$eval('.opblock', blocks => blocks.map(block =>
    `${block.querySelector('.opblock-summary-method')?.textContent?.toLowerCase()} ${block.querySelector('.opblock-summary-path')?.getAttribute('data-path')}`))
  const expected = Object.entries(description.paths).flatMap(([path, methods]) => Object.keys(methods).map(method => `${method} ${path}`))
  t.ok(expected.length > 0, 'the description has routes')
  t.strictSame(operations.sort(), expected.sort())
})

t.test('every named schema renders under Schemas, with its properties', async t => {
  const names = Object.keys(description.components.schemas)
  t.ok(names.length > 0, 'the description names schemas')
  for (const name of names) {
    const model = `.model-container[data-name="${name}"]`
    const found = await page.$(model)
    if (!t.ok(found, `${name} is listed`)) continue
    await page.click(`${model} .model-box-control`)
    const properties = Object.keys(description.components.schemas[name].properties ?? {})
    const shown = await page.waitForFunction((selector, wanted) => {
      const text = document.querySelector(selector)?.textContent ?? ''
      return wanted.every(property => text.includes(property))
    }, { timeout: 5_000 }, model, properties).then(() => true, () => false)
    t.ok(shown, `${name} shows ${properties.join(', ')}`)
  }
})

t.test('no console error and no Content-Security-Policy violation', async t => {
  const violations = await page.evaluate(() => window.cspViolations)
  t.strictSame(violations, [], 'no CSP violation')
  t.strictSame(problems, [], 'no console error, page error or failed request')
})
