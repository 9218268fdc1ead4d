// The README's configuration table is what a module owner configures from: it must name every
// variable the configuration schema reads, with the schema's default, and nothing the relay ignores.
import { readFileSync } from 'node:fs'
import t from 'tap'
import type { TSchema } from '@sinclair/typebox'
import { EnvironmentSchema } from '../lib/config.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
/** Read apart from the schema: an unusable value falls back instead of stopping start-up. */
const READ_APART = ['CTR_ENTITIES_LIMIT']

/** The configuration table's rows: each backticked name of the first cell with its default. */
function configurationTable (text: string): Map<string, string | undefined> {
  const section = text.split(/^## Configuration$/m)[1]?.split(/^## /m)[0] ?? ''
  const rows = section.split('\n').filter(line => line.startsWith('| `'))
  const table = new Map<string, string | undefined>()
  for (const row of rows) {
    const cells = row.split(' | ')
    const names = [...cells[0].matchAll(/`([A-Z0-9_]+)`/g)].map(match => match[1])
    const defaults = [...cells[cells.length - 1].matchAll(/`([^`]+)`/g)].map(match => match[1])
    names.forEach((name, i) => table.set(name, names.length === defaults.length ? defaults[i] : defaults[0]))
  }
  return table
}

/** The schema's default as the README writes it (booleans are set as 0 or 1). */
function written (value: unknown): string {
  return typeof value === 'boolean' ? (value ? '1' : '0') : String(value)
}

t.test('the configuration table names every variable the schema reads, with its default', async t => {
  const table = configurationTable(readme)
  const properties = EnvironmentSchema.properties as Record<string, TSchema>
  for (const [name, schema] of Object.entries(properties)) {
    t.ok(table.has(name), `${name} has a row`)
    if (schema.default !== undefined) t.equal(table.get(name), written(schema.default), `${name}'s default`)
  }
  t.strictSame([...table.keys()].filter(name => !(name in properties) && !READ_APART.includes(name)), [],
    'no row names a variable the relay does not read')
})

t.test('the table reader finds rows, paired defaults and missing ones', async t => {
  const table = configurationTable('## Configuration\n| `A`, `B` | x | `1`, `2` |\n| `C` | y | none |\n## Next\n| `D` | z | `4` |\n')
  t.strictSame([...table.entries()], [['A', '1'], ['B', '2'], ['C', undefined]])
  t.strictSame([...configurationTable('no table').keys()], [])
})
