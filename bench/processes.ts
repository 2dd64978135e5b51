/**
 * Child processes for the benchmark: each server runs in its own process so the load generator
 * never shares an event loop with it. Every child is tracked and killed at the end, on error,
 * on SIGINT/SIGTERM, and (with SIGKILL) when this process exits by any other way.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

const TAIL_LINES = 40
const children = new Set<Child>()

export type Child = {
  name: string
  proc: ChildProcess
  /** The last lines the child printed (stdout and stderr), for error messages. */
  tail: () => string
  exited: () => { code: number | null; signal: NodeJS.Signals | null } | null
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))))
    })
  })
}

/** Starts `node script` with the given environment; its output is kept, not printed. */
export function startNode(name: string, script: string, env: NodeJS.ProcessEnv): Child {
  const proc = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean))
    if (lines.length > TAIL_LINES) lines.splice(0, lines.length - TAIL_LINES)
  }
  // Reading both pipes also keeps a chatty child from blocking on a full pipe.
  proc.stdout?.on('data', keep)
  proc.stderr?.on('data', keep)
  const child: Child = { name, proc, tail: () => lines.join('\n'), exited: () => exit }
  proc.on('exit', (code, signal) => {
    exit = { code, signal }
    children.delete(child)
  })
  proc.on('error', (err) => keep(Buffer.from(`spawn error: ${err.message}`)))
  children.add(child)
  return child
}

/** Throws (with the child's last output) if the child has exited. */
export function assertAlive(child: Child) {
  const exit = child.exited()
  if (exit) {
    throw new Error(`${child.name} exited (code ${exit.code}, signal ${exit.signal}); its last output:\n${child.tail()}`)
  }
}

/** Polls `url` on loopback until it answers 200, the child dies, or the timeout passes. */
export async function waitForHttp(child: Child, url: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    assertAlive(child)
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) })
      await res.arrayBuffer()
      if (res.status === 200) return
    } catch {
      // Not listening yet.
    }
    await sleep(100)
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs} ms; its last output:\n${child.tail()}`)
}

/** SIGTERM, then SIGKILL if the child is still there after `graceMs`. */
export async function stopChild(child: Child, graceMs = 5000) {
  if (child.exited()) return
  const gone = new Promise<void>((resolve) => child.proc.once('exit', () => resolve()))
  child.proc.kill('SIGTERM')
  const timer = sleep(graceMs).then(() => 'timeout' as const)
  if ((await Promise.race([gone, timer])) === 'timeout') {
    child.proc.kill('SIGKILL')
    await Promise.race([gone, sleep(2000)])
  }
}

/** Stops every child still running, all at once. */
export async function stopAll() {
  await Promise.all([...children].map((child) => stopChild(child)))
}

/** Last resort: whatever way this process ends, no child outlives it. */
process.on('exit', () => {
  for (const child of children) child.proc.kill('SIGKILL')
})
