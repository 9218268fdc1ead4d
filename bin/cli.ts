#!/usr/bin/env node
// `c1fapp-relay jwt`: the legacy token of the C1fApp module, its SECRET_KEY, and where to put
// each (bin/jwt-command.ts holds the logic; this file talks to the terminal).
import settings from '../module_settings.json' with { type: 'json' }
import { text } from 'node:stream/consumers'
import {
  checkKey, generateSecret, givenKey, jwtReport, keyFromInput, legacyToken, parseCommand, parseJwtArguments,
  settingClaims, typeHidden, UsageError, USAGE, type HiddenInput
} from './jwt-command.js'

/** Reads a line from the terminal without echoing it (raw mode: the terminal shows nothing). */
async function askHidden (prompt: string): Promise<string> {
  const { stdin, stderr } = process
  // raw mode before the prompt: keys typed as soon as it shows are neither echoed nor signals
  stdin.setRawMode(true)
  stdin.setEncoding('utf8')
  stdin.resume()
  stderr.write(prompt)
  try {
    const input = await new Promise<HiddenInput>(resolve => {
      let typed: HiddenInput = { value: '', state: 'typing' }
      const onData = (chunk: string) => {
        typed = typeHidden(typed, chunk)
        if (typed.state !== 'typing') {
          stdin.off('data', onData)
          resolve(typed)
        }
      }
      stdin.on('data', onData)
    })
    if (input.state === 'cancelled') throw new UsageError('\nCancelled.')
    return input.value
  } finally {
    stdin.setRawMode(false)
    stdin.pause()
    stderr.write('\n')
  }
}

async function main (argv: string[]): Promise<void> {
  const command = parseCommand(argv)
  if (command.command === 'help') return console.log(USAGE)
  const options = parseJwtArguments(command.args)
  if (options.help) return console.log(USAGE)
  const key = givenKey(options, process.env) ?? (process.stdin.isTTY === true
    ? checkKey(await askHidden(`${settings.jwt.key} (not shown as you type): `))
    : keyFromInput(await text(process.stdin)))
  const secret = options.secret ?? generateSecret()
  console.log(jwtReport({ jwt: legacyToken(key, secret, settingClaims(options)), secret, settings }))
}

try {
  await main(process.argv.slice(2))
} catch (error) {
  if (!(error instanceof UsageError)) throw error
  console.error(error.message)
  process.exitCode = 1
}
