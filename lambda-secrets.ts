// On AWS Lambda, the secrets (SECRET_KEY, CACHE_REDIS_URL with its password, CACHE_REDIS_SECRET) are
// read at cold start from SSM Parameter Store SecureStrings named by <secret>_PARAMETER, through the
// AWS Parameters and Secrets Lambda Extension (a layer that answers on localhost, with the
// function's own credentials): a plain environment variable would be readable by anyone allowed
// lambda:GetFunctionConfiguration. No AWS SDK: one local HTTP request a secret.
import { ConfigError } from './lib/config.js'

/** The extension's port unless PARAMETERS_SECRETS_EXTENSION_HTTP_PORT says otherwise (AWS's default). */
export const EXTENSION_PORT = 2773

/** How long the extension may take: it asks SSM on the first read. */
export const EXTENSION_TIMEOUT_MS = 5000

/** The secrets that may come from Parameter Store, each named by `<secret>_PARAMETER`. */
export const PARAMETER_SECRETS = ['SECRET_KEY', 'CACHE_REDIS_URL', 'CACHE_REDIS_SECRET'] as const

/**
 * `env` with each of PARAMETER_SECRETS whose `<secret>_PARAMETER` names a parameter taken from that
 * parameter; `env` itself when none is named. Throws ConfigError naming the variable and the
 * parameter (never its value) when one cannot be read.
 */
export async function withSecrets (env: Record<string, string | undefined>): Promise<Record<string, string | undefined>> {
  const read: Record<string, string> = {}
  for (const secret of PARAMETER_SECRETS) {
    const name = env[`${secret}_PARAMETER`]
    if (name !== undefined && name !== '') read[secret] = await parameterValue(env, `${secret}_PARAMETER`, name)
  }
  return Object.keys(read).length === 0 ? env : { ...env, ...read }
}

async function parameterValue (env: Record<string, string | undefined>, variable: string, name: string): Promise<string> {
  const port = env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? String(EXTENSION_PORT)
  const url = `http://localhost:${port}/systemsmanager/parameters/get?name=${encodeURIComponent(name)}&withDecryption=true`
  const failed = (why: string) => new ConfigError(`Invalid configuration: ${variable} names ${name}, which could not be read (${why}); ` +
    'the function needs the AWS Parameters and Secrets Lambda Extension layer and ssm:GetParameter on that parameter')
  let response: Response
  try {
    response = await fetch(url, { headers: { 'X-Aws-Parameters-Secrets-Token': env.AWS_SESSION_TOKEN ?? '' }, signal: AbortSignal.timeout(EXTENSION_TIMEOUT_MS) })
  } catch (error) {
    throw failed(`the extension did not answer: ${(error as Error).message}`)
  }
  const text = await response.text()
  if (response.status !== 200) throw failed(`HTTP ${response.status}`)
  let value: unknown
  try {
    value = (JSON.parse(text) as { Parameter?: { Value?: unknown } }).Parameter?.Value
  } catch {
    value = undefined
  }
  if (typeof value !== 'string') throw failed('the answer holds no parameter value')
  return value
}
