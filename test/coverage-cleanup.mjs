// tap's `after` script. test/support/tsx-sources.mjs sets NODE_V8_COVERAGE in each test process
// only so that tsx puts the TypeScript sources into its source maps; tsx's loader thread, started
// with the variable, still writes Node.js's own copy of its coverage there, which nothing reads
// (tap's is in .tap/coverage).
import { rmSync } from 'node:fs'

rmSync(new URL('../.tap/v8-coverage', import.meta.url), { recursive: true, force: true })
