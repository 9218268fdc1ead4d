// Which Node.js runs what: `npm test`'s tap (scripts/on-supported-node.ts) this one when
// package.json's engines allow it, else the Dockerfile's, the relay's own runtime, on which the
// bench always runs (bench/shipped-node.ts).

/** The Node.js majors that package.json's engines allow (`^22 || ^24`: 22 and 24). */
export function supportedMajors (engines: string): number[] {
  const majors = engines.split('||').map(range => Number(/^\s*\^(\d+)\s*$/.exec(range)?.[1]))
  if (majors.some(Number.isNaN)) throw new Error(`engines.node "${engines}": expected caret ranges such as "^22 || ^24"`)
  return majors
}

/** The Node.js major the relay ships on: the Dockerfile's `FROM node:N-slim` (the SAM template's runtime is held to it). */
export function shippedMajor (dockerfile: string): number {
  const shipped = /^FROM node:(\d+)-slim/m.exec(dockerfile)
  if (shipped === null) throw new Error('the Dockerfile has no FROM node:N-slim line')
  return Number(shipped[1])
}

/** The major to run on: this Node.js's when engines allow it, else the one the relay ships on. */
export function majorToRunOn (engines: string, dockerfile: string, version: string): { major: number, thisNode: boolean } {
  const own = Number(/^v?(\d+)\./.exec(version)?.[1])
  if (supportedMajors(engines).includes(own)) return { major: own, thisNode: true }
  return { major: shippedMajor(dockerfile), thisNode: false }
}
