// Request and answer over Node's IPC channel, between the benchmark runner and the processes it
// forks (the C1fApp simulator, the relay). A child says it is ready once, then answers each request
// with the request's id.
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'

interface Reply { id: number, body?: unknown, error?: string }

/** In a child: tells the parent it is ready, then answers each of its requests with `handle`'s result. */
export function serve<Request> (ready: unknown, handle: (request: Request) => unknown): void {
  process.on('message', (message: { id: number, body: Request }) => {
    Promise.resolve()
      .then(() => handle(message.body))
      .then(body => process.send?.({ id: message.id, body } satisfies Reply),
        (error: Error) => process.send?.({ id: message.id, error: error.message } satisfies Reply))
  })
  process.send?.({ ready })
}

/** In the parent: a forked child, spoken to by request and answer. */
export class Peer<Request> {
  private next = 0
  private readonly waiting = new Map<number, { resolve: (body: unknown) => void, reject: (error: Error) => void }>()

  private constructor (readonly child: ChildProcess) {
    child.on('message', (reply: Reply) => {
      const waiter = this.waiting.get(reply.id)
      this.waiting.delete(reply.id)
      if (reply.error !== undefined) waiter?.reject(new Error(reply.error))
      else waiter?.resolve(reply.body)
    })
    child.on('exit', code => {
      for (const waiter of this.waiting.values()) waiter.reject(new Error(`the child process ended (${code})`))
      this.waiting.clear()
    })
  }

  /** Waits for the child's ready message, or fails if it ends first. */
  static async connect<Request, Ready> (child: ChildProcess): Promise<{ peer: Peer<Request>, ready: Ready }> {
    const message = once(child, 'message') as Promise<[{ ready: Ready }]>
    const exit = once(child, 'exit').then(([code]) => { throw new Error(`the child process ended before it was ready (${code})`) })
    const [{ ready }] = await Promise.race([message, exit])
    return { peer: new Peer<Request>(child), ready }
  }

  get pid (): number {
    return this.child.pid as number
  }

  request<Answer> (body: Request): Promise<Answer> {
    const id = this.next++
    return new Promise<Answer>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (body: unknown) => void, reject })
      this.child.send({ id, body })
    })
  }

  /** Closes the channel (each child closes its server and ends on disconnect); SIGKILL if it lingers. */
  async stop (): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = once(this.child, 'exit')
    if (this.child.connected) this.child.disconnect()
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
}
