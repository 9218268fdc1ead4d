// On AWS Lambda, SECRET_KEY is read at cold start from an SSM Parameter Store SecureString named by
// SECRET_KEY_PARAMETER, through the AWS Parameters and Secrets Lambda Extension (a layer that answers
// on localhost, with the function's own credentials): a plain environment variable would be readable
// by anyone allowed lambda:GetFunctionConfiguration. No AWS SDK: one local HTTP request.
import { ConfigError } from './lib/config.js'

/** The extension's port unless PARAMETERS_SECRETS_EXTENSION_HTTP_PORT says otherwise (AWS's default). */
export const EXTENSION_PORT = 2773

/** How long the extension may take: it asks SSM on the first read. */
export const EXTENSION_TIMEOUT_MS = 5000

/**
 * `env` with SECRET_KEY taken from the parameter SECRET_KEY_PARAMETER names, or `env` itself when
 * none is named. Throws ConfigError naming the parameter (never its value) when it cannot be read.
 */
export async function withSecretKey (env: Record<string, string | undefined>): Promise<Record<string, string | undefined>> {
  const name = env.SECRET_KEY_PARAMETER
  if (name === undefined || name === '') return env
  const port = env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? String(EXTENSION_PORT)
  const url = `http://localhost:${port}/systemsmanager/parameters/get?name=${encodeURIComponent(name)}&withDecryption=true`
  const failed = (why: string) => new ConfigError(`Invalid configuration: SECRET_KEY_PARAMETER names ${name}, which could not be read (${why}); ` +
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
  return { ...env, SECRET_KEY: value }
}
