// tap's coverage map. The process-entry tests run server.ts and the demo in child processes under
// tsx, whose transpilation maps lines differently from tap's loader and scrambles the merged
// report; the production-install test runs the compiled dist/ of a fresh install in child
// processes. Their behaviour is asserted, their coverage is not counted. Every other test counts.
const uncounted = ['server.test.ts', 'shutdown.test.ts', 'production.test.ts']

export default function coverageMap (testFile) {
  return uncounted.some(name => testFile.endsWith(name)) ? null : []
}
