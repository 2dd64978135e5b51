/**
 * Every HTTP call the fault run and the soak make, by route: latency, status or transport error.
 * One fetch wrapper for all of them, with a deadline on each call, loopback only.
 */
import { type Latency, latency } from './claims-report.js'

export type Reply = { status: number; text: string; headers: Headers; ms: number } | { error: string; ms: number }

type RouteLog = { ms: number[]; at: number[]; answers: string[]; outcomes: Record<string, number> }
export type Bucket = { fromS: number; n: number; p50: number; p99: number; outcomes: Record<string, number> }

export class Recorder {
  readonly routes = new Map<string, RouteLog>()
  private readonly startedAt = Date.now()

  add(route: string, ms: number, outcome: string) {
    let log = this.routes.get(route)
    if (!log) {
      log = { ms: [], at: [], answers: [], outcomes: {} }
      this.routes.set(route, log)
    }
    log.ms.push(ms)
    log.at.push(Date.now() - this.startedAt)
    log.answers.push(outcome)
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

  /** Per route, the same in consecutive slices of `seconds` (when the call ended): drift over a run. */
  buckets(seconds: number): Record<string, Bucket[]> {
    const out: Record<string, Bucket[]> = {}
    for (const [route, log] of this.routes) {
      const slices: { ms: number[]; outcomes: Record<string, number> }[] = []
      log.at.forEach((at, i) => {
        const index = Math.floor(at / 1000 / seconds)
        const slice = slices[index] ?? { ms: [], outcomes: {} }
        slices[index] = slice
        slice.ms.push(log.ms[i] as number)
        const answer = log.answers[i] as string
        slice.outcomes[answer] = (slice.outcomes[answer] ?? 0) + 1
      })
      out[route] = Array.from(slices, (slice, i) => {
        const l = latency(slice?.ms ?? [])
        return { fromS: i * seconds, n: l.n, p50: l.p50, p99: l.p99, outcomes: slice?.outcomes ?? {} }
      })
    }
    return out
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
