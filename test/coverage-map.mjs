// tap's coverage map. The process-entry tests run server.ts, the demo and the jwt command in child
// processes of their own under tsx, started with an environment of their own; the
// production-install test runs the compiled dist/ of a fresh install in child processes. Their
// behaviour is asserted, their coverage is not counted. Every other test counts.
const CHILD_PROCESS_TESTS = ['server.test.ts', 'shutdown.test.ts', 'deploy/production.test.ts', 'bin/cli.test.ts']

export default function coverageMap (testFile) {
  return CHILD_PROCESS_TESTS.some(name => testFile.replaceAll('\\', '/').endsWith(`test/${name}`)) ? null : []
}
