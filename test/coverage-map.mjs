// tap's coverage map. The process-entry tests run server.ts and the demo in child processes under
// tsx, whose transpilation maps lines differently from tap's loader and scrambles the merged
// report; their behaviour is asserted, their coverage is not counted. Every other test counts.
export default function coverageMap (testFile) {
  return testFile.endsWith('server.test.ts') ? null : []
}
