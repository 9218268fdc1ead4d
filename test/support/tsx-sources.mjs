// Loaded first in each test process (package.json's tap test-env: NODE_OPTIONS), before tap's tsx
// loader. tsx writes the TypeScript sources into its source maps only when it finds
// NODE_V8_COVERAGE set, and without them tap's coverage report counts every file as one line. Set
// here, after Node.js read its environment at start-up, the variable tells tsx without making
// Node.js record and write its own copy of the process's coverage, which nothing reads (tap takes
// its own): on Node.js 24 that copy cost each test file 0.3 to 0.6 s of CPU. NODE_OPTIONS goes, so
// that the processes a test starts do not look for this file from where they run.
process.env.NODE_V8_COVERAGE = '.tap/v8-coverage'
delete process.env.NODE_OPTIONS
