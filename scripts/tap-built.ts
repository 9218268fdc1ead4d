// tap builds its Test class for the plugins of package.json's tap config, and rebuilds it when they
// change; but the run that rebuilds it still runs every test file with the plugins it had (after a
// fresh install, tap's defaults: ts-node and its type checks in every process, a minute and more).
// `npm test` runs this beside eslint and tsc, before tap: it rebuilds tap only when its build is
// not for the configured plugins.
import { spawnSync } from 'node:child_process'
import { TapConfig } from '@tapjs/config'
import { signature } from '@tapjs/test'

const config = await TapConfig.load()
if (config.pluginSignature !== signature) {
  console.error("tap's Test class was built for other plugins than package.json's: tap build")
  const { status } = spawnSync('tap', ['build'], { stdio: 'inherit' })
  process.exit(status ?? 1)
}
