// What the tests that run the relay's entry points as child processes share.
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { once } from 'node:events'

/** The output so far, once `pattern` shows up in it (or the process ends). */
export async function waitForOutput (child: ChildProcessWithoutNullStreams, pattern: RegExp): Promise<string> {
  let output = ''
  return new Promise(resolve => {
    const check = (chunk: Buffer) => {
      output += chunk.toString()
      if (pattern.test(output)) resolve(output)
    }
    child.stdout.on('data', check)
    child.stderr.on('data', check)
    child.on('close', () => resolve(output))
  })
}

/** The exit code, whether the process has already ended or not. */
export async function exitCode (child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode
  const [code] = await once(child, 'exit')
  return code
}
