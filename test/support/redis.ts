// A real redis-server for the tests (the Debian package's /usr/bin/redis-server): started on a
// free loopback port without persistence, stopped by its PID when the test ends.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import net, { type AddressInfo } from 'node:net'
import { Redis } from 'ioredis'

interface Test { teardown: (fn: () => unknown) => void }

export interface RedisServer {
  url: string
  port: number
  /** a client of the test's own, to look at what the relay stored */
  client: Redis
  /** kill it (SIGKILL: gone at once, as a crashed or evicted pod) */
  stop: () => Promise<void>
  /** start it again on the same port, empty */
  restart: () => Promise<void>
  /** SIGSTOP: it keeps its connections but answers nothing; SIGCONT to resume */
  pause: () => void
  resume: () => void
}

export async function freePort (): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  await new Promise(resolve => server.close(resolve))
  return port
}

async function launch (port: number, args: string[]): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) resolve()
    })
    child.on('exit', code => reject(new Error(`redis-server exited (${code}): ${output}`)))
  })
  child.stdout!.resume()
  return child
}

async function kill (child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  process.kill(child.pid!, 'SIGCONT')
  process.kill(child.pid!, 'SIGKILL')
  await exited
}

/** A redis-server of the test's own; `args` are more of its options (`--maxmemory 1mb`, …). */
export async function startRedis (t: Test, args: string[] = []): Promise<RedisServer> {
  const port = await freePort()
  let child: ChildProcess | undefined = await launch(port, args)
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  t.teardown(async () => {
    client.disconnect()
    await kill(child)
  })
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    client,
    stop: async () => {
      await kill(child)
      child = undefined
    },
    restart: async () => { child = await launch(port, args) },
    pause: () => process.kill(child!.pid!, 'SIGSTOP'),
    resume: () => process.kill(child!.pid!, 'SIGCONT')
  }
}

/** The relay's log as parsed entries, for `buildRelay`'s logging argument. */
export function logEntries (): { entries: Array<Record<string, any>>, logging: { level: string, stream: { write: (line: string) => boolean } } } {
  const entries: Array<Record<string, any>> = []
  return { entries, logging: { level: 'info', stream: { write: (line: string) => entries.push(JSON.parse(line)) > 0 } } }
}

/** Resolves once `test` holds for the log (Redis reconnects on its own schedule). */
export async function until (test: () => boolean, ms = 10000): Promise<void> {
  const end = Date.now() + ms
  while (!test()) {
    if (Date.now() > end) throw new Error('waited in vain')
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}
