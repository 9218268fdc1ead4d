// tap's coverage map. The process-entry tests run server.ts and the demo in child processes under
// tsx, whose transpilation maps lines differently from tap's loader and scrambles the merged
// report; their behaviour is asserted, their coverage is not counted. Every other test counts.
const SPAWNING = ['server.test.ts', 'shutdown.test.ts']

export default function coverageMap (testFile) {
  return SPAWNING.some(name => testFile.endsWith(name)) ? null : []
}
