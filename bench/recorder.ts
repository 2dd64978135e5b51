/**
 * Every HTTP call the fault run and the soak make, by route: latency, status or transport error.
 * One fetch wrapper for all of them, with a deadline on each call, loopback only.
 */
import { type Latency, latency } from './claims-report.js'

export type Reply = { status: number; text: string; headers: Headers; ms: number } | { error: string; ms: number }

type RouteLog = { ms: number[]; outcomes: Record<string, number> }

export class Recorder {
  readonly routes = new Map<string, RouteLog>()

  add(route: string, ms: number, outcome: string) {
    let log = this.routes.get(route)
    if (!log) {
      log = { ms: [], outcomes: {} }
      this.routes.set(route, log)
    }
    log.ms.push(ms)
    log.outcomes[outcome] = (log.outcomes[outcome] ?? 0) + 1
  }

  /** One call, timed and recorded under `route`; never rejects. */
  async fetch(route: string, url: string, init: RequestInit & { timeoutMs: number }): Promise<Reply> {
    if (!/^http:\/\/127\.0\.0\.1[:/]/.test(url)) throw new Error(`the runs only talk to 127.0.0.1, not ${url}`)
    const start = performance.now()
    try {
      const res = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(init.timeoutMs) })
      const text = await res.text()
      const ms = performance.now() - start
      this.add(route, ms, String(res.status))
      return { status: res.status, text, headers: res.headers, ms }
    } catch (err) {
      const ms = performance.now() - start
      const error = errorName(err)
      this.add(route, ms, error)
      return { error, ms }
    }
  }

  /** Per route: latency percentiles (every call, whatever its answer) and the count of each answer. */
  summary(): Record<string, { latency: Latency; outcomes: Record<string, number> }> {
    const out: Record<string, { latency: Latency; outcomes: Record<string, number> }> = {}
    for (const [route, log] of [...this.routes].sort(([a], [b]) => a.localeCompare(b))) {
      out[route] = { latency: latency(log.ms), outcomes: log.outcomes }
    }
    return out
  }
}

/** `timeout`, `ECONNREFUSED`, `ECONNRESET`…: how a call that got no answer is counted. */
export function errorName(err: unknown): string {
  const e = err as { name?: string; code?: string; cause?: { code?: string; name?: string } }
  if (e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError') return 'timeout'
  return e?.cause?.code ?? e?.code ?? e?.name ?? 'error'
}
