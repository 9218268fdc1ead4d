// tap builds its Test class for the plugins of package.json's tap config, and rebuilds it when they
// change; but the run that rebuilds it still runs every test file with the plugins it had (after a
// fresh install, tap's defaults: ts-node and its type checks in every process, a minute and more).
// `npm test` runs this before tap: it rebuilds tap's Test class only when it is not built for the
// configured plugins, with the generator `tap build` runs (without its npm install of plugins that
// npm ci installed already).
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { TapConfig } from '@tapjs/config'
import { signature } from '@tapjs/test'

const config = await TapConfig.load()
if (config.pluginSignature !== signature) {
  console.error("tap's Test class was built for other plugins than package.json's: building it again")
  const generator = fileURLToPath(import.meta.resolve('@tapjs/test/generate-tap-test-class'))
  const { status } = spawnSync(process.execPath, [generator, ...config.pluginList], { stdio: 'inherit' })
  process.exit(status ?? 1)
}
