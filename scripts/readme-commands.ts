// The shell blocks of README.md and docs/, as `npm run test:readme` pastes them into a fresh clone:
// which commands run, which run until they are ready (servers), which are skipped and why. Pure:
// scripts/test-readme.ts does the cloning and running.

export interface Command {
  /** where it stands: file and line */
  where: string
  text: string
}

export type Step =
  | { action: 'run', command: Command }
  | { action: 'until', command: Command, ready: RegExp }
  | { action: 'skip', command: Command, reason: string }

/**
 * `<!-- test:readme skip: <reason> -->` on the line before a fence skips the whole block: for
 * blocks whose every line needs what the check has not (Docker, a cluster).
 */
const BLOCK_SKIP = /^\s*<!--\s*test:readme skip:\s*(.+?)\s*-->\s*$/
const FENCE_OPEN = /^(\s*)```(?:sh|bash|shell)\s*$/
const FENCE_CLOSE = /^\s*```\s*$/

/** What the check cannot do here, by command; the first that matches says why. */
const SKIPPED: Array<[RegExp, string]> = [
  [/…|<[A-Za-z][^>]*>/, 'holds a placeholder (…, <…>) to fill in'],
  [/^sam\b/, 'needs the AWS SAM CLI and an AWS account'],
  [/^docker\b/, 'needs Docker'],
  [/^kubectl\b/, 'needs a Kubernetes cluster'],
  [/c1fapp-key\.txt/, 'needs a real C1fApp API key in a file of yours'],
  [/\bnpm test$/, 'the whole suite: .ci/run runs npm test itself'],
  [/\bnpm run bench\b/, 'minutes of load: the benchmark is run by hand']
]

/** Commands that never end (servers): run until their output shows they are ready, then stopped. */
const SERVERS: Array<[RegExp, RegExp]> = [
  [/\bnpm run demo$/, /Ctrl-C stops both\./]
]

/** A line's trailing shell comment (a # after a blank), which is prose, not command. */
function withoutComment (line: string): string {
  return line.replace(/\s+#\s.*$/, '').trimEnd()
}

/** The commands of the shell blocks of one Markdown file, with the reason of a skipped block. */
export function shellBlocks (file: string, markdown: string): Array<{ commands: Command[], skip?: string }> {
  const lines = markdown.split('\n')
  const blocks: Array<{ commands: Command[], skip?: string }> = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE_OPEN.exec(lines[i])
    if (open === null) continue
    const skip = i > 0 ? BLOCK_SKIP.exec(lines[i - 1])?.[1] : undefined
    const commands: Command[] = []
    let pending: Command | undefined
    for (i++; i < lines.length && !FENCE_CLOSE.test(lines[i]); i++) {
      const line = lines[i].startsWith(open[1]) ? lines[i].slice(open[1].length) : lines[i].trimStart()
      if (pending === undefined && (line.trim() === '' || line.trimStart().startsWith('#'))) continue
      const text = withoutComment(line)
      const continued = text.endsWith('\\')
      const part = continued ? text.slice(0, -1).trimEnd() : text
      pending = pending === undefined ? { where: `${file}:${i + 1}`, text: part } : { ...pending, text: `${pending.text} ${part.trim()}` }
      if (!continued) {
        commands.push(pending)
        pending = undefined
      }
    }
    blocks.push(skip === undefined ? { commands } : { commands, skip })
  }
  return blocks
}

/** What the check does with each command of the files, in order. */
export function plan (files: Array<{ file: string, markdown: string }>): Step[] {
  const steps: Step[] = []
  for (const { file, markdown } of files) {
    for (const { commands, skip } of shellBlocks(file, markdown)) {
      for (const command of commands) {
        const reason = skip ?? SKIPPED.find(([pattern]) => pattern.test(command.text))?.[1]
        const ready = SERVERS.find(([pattern]) => pattern.test(command.text))?.[1]
        if (reason !== undefined) steps.push({ action: 'skip', command, reason })
        else if (ready !== undefined) steps.push({ action: 'until', command, ready })
        else steps.push({ action: 'run', command })
      }
    }
  }
  return steps
}

/** README.md first, then the docs in the order README links them, then any it does not link. */
export function readingOrder (readme: string, docs: string[]): string[] {
  const linked = [...readme.matchAll(/\]\((docs\/[^)#\s]+\.md)[)#]/g)].map(match => match[1])
  const order = [...new Set(linked.filter(file => docs.includes(file)))]
  return ['README.md', ...order, ...docs.filter(file => !order.includes(file)).sort()]
}
