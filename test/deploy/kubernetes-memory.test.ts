// deploy/relay.yaml sheds load before the container's memory limit is reached, as
// docs/operations.md advises: MAX_RSS_BYTES about 80 % of the limit, and a value the relay accepts.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { parseAllDocuments } from 'yaml'
import { readConfig } from '../../lib/config.js'
import { SECRET_KEY } from '../helper.js'

const UNITS: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, K: 1e3, M: 1e6, G: 1e9 }

/** A Kubernetes memory quantity in bytes (the suffixes an example would use). */
function bytes (quantity: string): number {
  const [, number, unit] = /^(\d+)([KMG]i?)?$/.exec(quantity)!
  return Number(number) * (unit === undefined ? 1 : UNITS[unit])
}

t.test('MAX_RSS_BYTES is about 80 % of the container memory limit', async t => {
  const [deployment] = parseAllDocuments(readFileSync(new URL('../../deploy/relay.yaml', import.meta.url), 'utf8')).map(document => document.toJS())
  const [container] = deployment.spec.template.spec.containers
  const limit = bytes(container.resources.limits.memory)
  const value = container.env.find(({ name }: { name: string }) => name === 'MAX_RSS_BYTES')?.value as string
  t.type(value, 'string', 'set, as a string (Kubernetes env values are strings)')
  const ratio = Number(value) / limit
  t.ok(ratio >= 0.75 && ratio <= 0.85, `${value} is ${(ratio * 100).toFixed(1)} % of ${container.resources.limits.memory}`)
  t.equal(readConfig({ SECRET_KEY, MAX_RSS_BYTES: value }).config.MAX_RSS_BYTES, Number(value), 'the relay accepts it')
  t.equal(bytes('1Gi'), 2 ** 30)
  t.equal(bytes('500M'), 5e8)
  t.equal(bytes('1024'), 1024)
})
