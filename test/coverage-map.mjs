// tap's coverage map. The process-entry tests run server.ts, the demo and the jwt command in child
// processes under tsx, whose transpilation maps lines differently from tap's loader and scrambles
// the merged report; their behaviour is asserted, their coverage is not counted. Every other test counts.
const CHILD_PROCESS_TESTS = ['test/server.test.ts', 'test/cli.test.ts']

export default function coverageMap (testFile) {
  return CHILD_PROCESS_TESTS.some(name => testFile.replaceAll('\\', '/').endsWith(name)) ? null : []
}
