// tap's `after` script. The test processes run with NODE_V8_COVERAGE set (package.json's tap
// test-env) only so that tsx puts the TypeScript sources into its source maps: without them tap's
// coverage report counts every file as one line. Node.js then writes its own copy of each
// process's coverage too (some 300 MB a run), which nothing reads: tap's is in .tap/coverage.
import { rmSync } from 'node:fs'

rmSync(new URL('../.tap/v8-coverage', import.meta.url), { recursive: true, force: true })
