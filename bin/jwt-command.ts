// The pure half of the package's command (bin/cli.ts): arguments, the legacy token and its
// SECRET_KEY, the module-creation links, the text printed, and the hidden prompt's keystrokes.
import { randomInt } from 'node:crypto'
import { parseArgs } from 'node:util'
import { createSigner } from 'fast-jwt'
import { dailyLimit, MAX_DAILY_LIMIT } from '../lib/quota.js'
import { sightingsMode, SIGHTINGS_MODES, type SightingsMode } from '../lib/sightings-mode.js'

/** Bad input: the message is printed and the command exits with 1. */
export class UsageError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export const MIN_SECRET_LENGTH = 32
export const SECRET_LENGTH = 64

/** The environment variable the command reads the C1fApp key from, before standard input. */
export const KEY_VARIABLE = 'C1FAPP_API_KEY'

export const USAGE = `Usage: c1fapp-relay jwt [--key <C1fApp API key>] [--secret <SECRET_KEY>] [--daily-limit <requests>]
                          [--sightings each|per-feed]

Makes the legacy (HS256) token of the C1fApp module: a JWT that carries the C1fApp API key,
signed with SECRET_KEY, which the relay verifies it with.

  --key <key>        the C1fApp API key (it lands in the shell history and in ps: prefer the
                     ways below). Without it the key is read from ${KEY_VARIABLE}, else from
                     standard input when that is not a terminal (a pipe or a file), else asked
                     for on the terminal, unechoed
  --secret <secret>  the SECRET_KEY to sign with, at least ${MIN_SECRET_LENGTH} characters;
                     without it a random ${SECRET_LENGTH}-character one is made
  --daily-limit <n>  the requests a day the key's C1fApp plan allows (50, 3000 or 100000;
                     1 to ${MAX_DAILY_LIMIT}): the relay makes none past it, and /health shows
                     the day's count against it; without it the relay's C1FAPP_DAILY_LIMIT
  --sightings <mode> the token's C1FAPP_SIGHTINGS: each (a sighting per C1fApp record) or
                     per-feed (a sighting per feed of each observable); without it the
                     relay's C1FAPP_SIGHTINGS decides (each unless set)
  -h, --help         this text`

export type Command = { command: 'help' } | { command: 'jwt', args: string[] }

export function parseCommand (argv: string[]): Command {
  const [name, ...args] = argv
  if (name === 'jwt') return { command: 'jwt', args }
  if (name === '-h' || name === '--help' || name === 'help') return { command: 'help' }
  throw new UsageError(`${name === undefined ? 'No command given' : `Unknown command: ${name}`}.\n\n${USAGE}`)
}

export interface JwtOptions {
  key?: string
  secret?: string
  /** the token's C1FAPP_DAILY_LIMIT claim (contract §6) */
  dailyLimit?: number
  /** the token's C1FAPP_SIGHTINGS claim */
  sightings?: SightingsMode
  help: boolean
}

/** A C1fApp key as typed or passed: surrounding blanks are a slip of the keyboard, an empty key is no key. */
export function checkKey (key: string): string {
  const trimmed = key.trim()
  if (trimmed === '') throw new UsageError('The C1fApp API key is empty.')
  return trimmed
}

/** The key of --key, else of the environment variable (empty counts as unset), else none yet. */
export function givenKey (options: JwtOptions, env: Record<string, string | undefined>): string | undefined {
  if (options.key !== undefined) return options.key
  const fromEnvironment = env[KEY_VARIABLE]
  return fromEnvironment === undefined || fromEnvironment === '' ? undefined : checkKey(fromEnvironment)
}

/** The key piped or redirected in: one line (a trailing newline is no part of it). */
export function keyFromInput (text: string): string {
  if (text.trim() === '') {
    throw new UsageError(`No C1fApp API key: standard input is empty and is not a terminal to ask on. Pipe the key in, or set ${KEY_VARIABLE}, or pass --key.`)
  }
  const key = checkKey(text)
  if (/[\r\n]/.test(key)) throw new UsageError('Standard input holds more than one line: give it the C1fApp API key alone.')
  return key
}

export function checkDailyLimit (limit: string): number {
  const requests = dailyLimit(limit)
  if (requests === undefined) throw new UsageError(`--daily-limit must be a whole number of requests a day, from 1 to ${MAX_DAILY_LIMIT}.`)
  return requests
}

export function checkSecret (secret: string): string {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new UsageError(`--secret is too short: SECRET_KEY must be at least ${MIN_SECRET_LENGTH} characters (leave --secret out to get a random one).`)
  }
  return secret
}

export function parseJwtArguments (args: string[]): JwtOptions {
  let values: { key?: string, secret?: string, 'daily-limit'?: string, sightings?: string, help?: boolean }
  try {
    ({ values } = parseArgs({
      args,
      options: { key: { type: 'string' }, secret: { type: 'string' }, 'daily-limit': { type: 'string' }, sightings: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false
    }))
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`)
  }
  const sightings = values.sightings === undefined ? undefined : sightingsMode(values.sightings)
  if (values.sightings !== undefined && sightings === undefined) {
    throw new UsageError(`--sightings must be ${SIGHTINGS_MODES.join(' or ')}.\n\n${USAGE}`)
  }
  const options: JwtOptions = {
    key: values.key === undefined ? undefined : checkKey(values.key),
    secret: values.secret === undefined ? undefined : checkSecret(values.secret),
    help: values.help === true
  }
  if (values['daily-limit'] !== undefined) options.dailyLimit = checkDailyLimit(values['daily-limit'])
  if (sightings !== undefined) options.sightings = sightings
  return options
}

/** The module settings a token carries beside the key, as the relay reads them (lib/authorization.ts's SETTING_CLAIMS). */
export function settingClaims (options: JwtOptions): Record<string, unknown> {
  return {
    ...(options.dailyLimit === undefined ? {} : { C1FAPP_DAILY_LIMIT: options.dailyLimit }),
    ...(options.sightings === undefined ? {} : { C1FAPP_SIGHTINGS: options.sightings })
  }
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** A random alphanumeric SECRET_KEY (about 381 bits for 64 characters): randomInt draws without bias. */
export function generateSecret (length = SECRET_LENGTH): string {
  return Array.from({ length }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join('')
}

/**
 * The original relay's token: header {"alg":"HS256","typ":"JWT"}, payload exactly {"key": …}, and
 * the module settings `claims` after the key, when any.
 */
export function legacyToken (key: string, secret: string, claims: Record<string, unknown> = {}): string {
  return createSigner({ key: secret, algorithm: 'HS256', noTimestamp: true })({ key, ...claims })
}

export interface ModuleSettings {
  name: string
  jwt: { key: string }
  regions: Array<{ name: string, visibility: string, module_type_id: string }>
}

/** Where the module is created in each Threat Response region. */
export function moduleCreationLinks (settings: ModuleSettings): Array<{ region: string, url: string }> {
  return settings.regions.map(({ name, visibility, module_type_id: id }) => ({
    region: name,
    url: `${visibility}/settings/modules/available/${id}/new`
  }))
}

export function jwtReport ({ jwt, secret, settings }: { jwt: string, secret: string, settings: ModuleSettings }): string {
  const links = moduleCreationLinks(settings)
  const width = Math.max(...links.map(({ region }) => region.length))
  return `JWT=${jwt}
SECRET_KEY=${secret}

1. Give the relay this SECRET_KEY; it verifies the JWT with it:
     plain Node.js     SECRET_KEY=<SECRET_KEY> node dist/server.js
     a container       docker run -e SECRET_KEY=<SECRET_KEY> … <image>
     AWS Lambda (SAM)  an SSM SecureString: aws ssm put-parameter --type SecureString --name /c1fapp-relay/secret-key --value <SECRET_KEY>,
                       then sam deploy --parameter-overrides SecretKeyParameter=/c1fapp-relay/secret-key (docs/deploy.md)
2. Create the ${settings.name} module in your Threat Response region, with the relay's public
   https URL and the JWT:
${links.map(({ region, url }) => `     ${region.padEnd(width)}  ${url}`).join('\n')}

Keep both secret: the JWT carries your ${settings.jwt.key}.`
}

export interface HiddenInput {
  value: string
  state: 'typing' | 'done' | 'cancelled'
}

// Escape sequences (arrows, function keys, bracketed-paste markers) are keys, not text.
// eslint-disable-next-line no-control-regex
const ESCAPE_SEQUENCE = /\u001b(?:\[[0-9;?]*[ -/]*[@-~]|O.|.)/g

/**
 * What is typed at an unechoed prompt, chunk after chunk of raw terminal input: Enter ends it,
 * Ctrl-C cancels it, Backspace and Ctrl-U erase, other control keys are ignored.
 */
export function typeHidden (input: HiddenInput, chunk: string): HiddenInput {
  let { value } = input
  for (const char of chunk.replace(ESCAPE_SEQUENCE, '')) {
    if (char === '\r' || char === '\n' || char === '\u0004') return { value, state: 'done' }
    if (char === '\u0003') return { value: '', state: 'cancelled' }
    if (char === '\u007f' || char === '\b') value = [...value].slice(0, -1).join('')
    else if (char === '\u0015') value = ''
    else if (char >= ' ') value += char
  }
  return { value, state: 'typing' }
}
