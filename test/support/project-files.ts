// The project's own files as the deployment tests read them, and the variables the relay reads.
import { existsSync, readFileSync } from 'node:fs'
import { EnvironmentSchema } from '../../lib/config.js'

const root = new URL('../../', import.meta.url)

export const read = (file: string): string => readFileSync(new URL(file, root), 'utf8')
export const exists = (file: string): boolean => existsSync(new URL(file, root))

/** Every variable the relay reads: its configuration schema's, and CTR_ENTITIES_LIMIT, read apart. */
export const RELAY_VARIABLES = new Set([...Object.keys(EnvironmentSchema.properties), 'CTR_ENTITIES_LIMIT'])
