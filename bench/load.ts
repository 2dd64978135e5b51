/**
 * One autocannon run against one target, reduced to the figures the benchmark reports. Two kinds
 * of run: saturation (N connections as fast as they go: throughput) and a fixed offered rate well
 * below it (latency without the queueing a closed loop past saturation adds).
 */
import autocannon, { type Instance, type Request, type Result } from 'autocannon'

export type Target = {
  name: string
  url: string
  method: 'GET' | 'POST'
  /** The status every response must have; anything else counts as unexpected. */
  expectStatus: number
  /** A fresh JSON body for each request (POST targets). */
  makeBody?: () => string
}

export type LoadOptions = { connections: number; durationS: number; overallRate?: number }

export type Measure = {
  target: string
  mode: 'warmup' | 'saturation' | 'rate'
  connections: number
  durationS: number
  offeredRate: number | null
  reqPerSec: number
  latencyMs: { mean: number; p50: number; p90: number; p99: number; p99_9: number; max: number }
  responses: number
  expected: number
  statusCodes: Record<string, number>
  errors: number
  timeouts: number
  non2xx: number
  /** Errors, timeouts and responses with another status than the expected one. */
  unexpected: number
}

let current: Instance | undefined

/** Stops the run in progress (on SIGINT); it still resolves with what it measured. */
export function stopCurrentLoad() {
  current?.stop()
}

function summarise(target: Target, mode: Measure['mode'], options: LoadOptions, r: Result): Measure {
  const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats).map(([code, s]) => [code, s.count]))
  const responses = Object.values(statusCodes).reduce((a, b) => a + b, 0)
  const expected = statusCodes[String(target.expectStatus)] ?? 0
  return {
    target: target.name,
    mode,
    connections: options.connections,
    durationS: r.duration,
    offeredRate: options.overallRate ?? null,
    reqPerSec: r.requests.average,
    latencyMs: {
      mean: r.latency.mean,
      p50: r.latency.p50,
      p90: r.latency.p90,
      p99: r.latency.p99,
      p99_9: r.latency.p99_9,
      max: r.latency.max,
    },
    responses,
    expected,
    statusCodes,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    unexpected: responses - expected + r.errors,
  }
}

/** Runs autocannon against `target` and summarises the result. */
export function runLoad(target: Target, mode: Measure['mode'], options: LoadOptions): Promise<Measure> {
  const headers: Record<string, string> = target.makeBody ? { 'content-type': 'application/json' } : {}
  const makeBody = target.makeBody
  const request: Request = makeBody
    ? { method: target.method, headers, setupRequest: (req) => ({ ...req, body: makeBody() }) }
    : { method: target.method, headers }
  return new Promise((resolve, reject) => {
    current = autocannon(
      {
        url: target.url,
        connections: options.connections,
        duration: options.durationS,
        ...(options.overallRate ? { overallRate: options.overallRate } : {}),
        method: target.method,
        pipelining: 1,
        timeout: 10,
        requests: [request],
      },
      (err, result) => {
        current = undefined
        if (err) reject(err)
        else resolve(summarise(target, mode, options, result))
      },
    )
  })
}
