// Threat Response's published schema for module answers, checked in-process: the definitions of
// Cisco's IROH Enrich API (test/data/iroh-enrich-relay-entities.schema.json, a verbatim copy of the
// file beside ../shared/ctim/conformance.mjs, so the tests need nothing outside the project), with
// ajv, plus the CTIM rules that schema leaves out (as conformance.mjs adds them).
import { readFileSync } from 'node:fs'
import { Ajv, type ValidateFunction } from 'ajv'
import formats from 'ajv-formats'

const schema = JSON.parse(readFileSync(new URL('../data/iroh-enrich-relay-entities.schema.json', import.meta.url), 'utf8'))
delete schema.$schema
const ajv = new Ajv({ strict: false, allErrors: true })
// ajv-formats is CommonJS: its function is the module itself or its default, by the loader.
const addFormats = ((formats as unknown as { default?: typeof formats }).default ?? formats) as unknown as (ajv: Ajv) => void
addFormats(ajv)
ajv.addFormat('int64', true)
ajv.addFormat('double', true)
ajv.addSchema(schema, 'ctim')
const bundle = ajv.getSchema('ctim#/definitions/ModuleObserveBundle') as ValidateFunction
const errorMessage = ajv.getSchema('ctim#/definitions/ModuleErrorMessage') as ValidateFunction

const ID = /^(transient:.+|https?:\/\/[^/]+(:\d+)?(\/[^/]+)*\/ctia\/[a-z][-a-z]+\/[a-z][-a-z]+-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/
const LIMITS: Record<string, number> = { title: 1024, short_description: 2048, description: 5000, source: 2048, producer: 1024, source_uri: 2048, reason: 1024 }
const DISPOSITIONS: Record<number, string> = { 1: 'Clean', 2: 'Malicious', 3: 'Suspicious', 4: 'Common', 5: 'Unknown' }

function entityRules (data: Record<string, { count: number, docs: any[] }>, problems: string[]): void {
  const ids = new Set<string>()
  for (const [plural, list] of Object.entries(data)) {
    if (list.count !== list.docs.length) problems.push(`${plural}.count is ${list.count} but it holds ${list.docs.length} docs`)
    list.docs.forEach((doc, i) => {
      const at = `${plural}.docs[${i}]`
      if (doc.id !== undefined) {
        if (!ID.test(doc.id) || doc.id.length > 2048) problems.push(`${at}.id is neither a transient nor a CTIA id`)
        if (ids.has(doc.id)) problems.push(`${at}.id repeats`)
        ids.add(doc.id)
      }
      for (const [field, max] of Object.entries(LIMITS)) {
        if (typeof doc[field] === 'string' && doc[field].length > max) problems.push(`${at}.${field} is longer than ${max}`)
      }
      for (const tag of doc.tags ?? []) if (tag.length > 1024) problems.push(`${at}.tags holds a tag longer than 1024`)
      for (const span of ['observed_time', 'valid_time']) {
        const time = doc[span]
        if (time?.start_time !== undefined && time?.end_time !== undefined && Date.parse(time.start_time) > Date.parse(time.end_time)) problems.push(`${at}.${span} starts after it ends`)
      }
      if (doc.disposition !== undefined && DISPOSITIONS[doc.disposition] !== doc.disposition_name) problems.push(`${at}.disposition_name does not name its disposition`)
    })
  }
  for (const [i, verdict] of (data.verdicts?.docs ?? []).entries()) {
    if (verdict.judgement_id !== undefined && !ids.has(verdict.judgement_id)) problems.push(`verdicts.docs[${i}].judgement_id points at no judgement of this answer`)
  }
  for (const [i, relationship] of (data.relationships?.docs ?? []).entries()) {
    for (const ref of ['source_ref', 'target_ref']) if (!ids.has(relationship[ref])) problems.push(`relationships.docs[${i}].${ref} points at no entity of this answer`)
  }
}

/** What Threat Response would refuse in an observe or deliberate answer: [] when it conforms. */
export function conformanceProblems (body: any): string[] {
  const problems: string[] = []
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return ['the body is not a JSON object']
  for (const key of Object.keys(body)) if (key !== 'data' && key !== 'errors') problems.push(`unexpected top-level key: ${key}`)
  for (const [i, error] of (body.errors ?? []).entries()) {
    if (!errorMessage(error)) problems.push(...(errorMessage.errors ?? []).map(e => `errors[${i}]${e.instancePath} ${e.message ?? ''}`))
  }
  if (body.data !== undefined) {
    if (!bundle(body.data)) problems.push(...(bundle.errors ?? []).map(e => `data${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`))
    else entityRules(body.data, problems)
  }
  return problems
}
