/** The soak's tables: latency per route, memory per process, and minute by minute (drift). */
import { table } from './fault-report.js'
import type { MemorySample } from './memory.js'
import type { Bucket, Recorder } from './recorder.js'

/** The answers each route is expected to give; anything else is an error. */
const EXPECTED: Record<string, string[]> = {
  'POST /api/v1/tasks/claim': ['200', '204'],
  'POST /api/v1/requests': ['200', '201'],
  'POST /': ['200', '201'],
}
const expected = (route: string) => EXPECTED[route] ?? ['200']

/** Every answer a route was not expected to give, and every status callback the API refused. */
export function unexpectedAnswers(routes: ReturnType<Recorder['summary']>, callbacks: Record<string, number>): string[] {
  const errors = Object.entries(routes).flatMap(([route, s]) =>
    Object.entries(s.outcomes)
      .filter(([answer]) => !expected(route).includes(answer))
      .map(([answer, count]) => `${route} ${answer} ×${count}`),
  )
  // Twilio's own calls to the service count too: a refused status callback is news lost.
  for (const [answer, count] of Object.entries(callbacks))
    if (!/^2\d\d$/.test(answer)) errors.push(`POST /twilio/status, /twilio/voice/status (callbacks) ${answer} ×${count}`)
  return errors
}

const answers = (outcomes: Record<string, number>) =>
  Object.entries(outcomes)
    .map(([k, v]) => `${k}:${v}`)
    .join(' ')

export function routeTable(routes: ReturnType<Recorder['summary']>): string {
  return table([
    ['route', 'n', 'p50 ms', 'p99 ms', 'max ms', 'answers'],
    ...Object.entries(routes).map(([route, s]) => [
      route,
      String(s.latency.n),
      String(s.latency.p50),
      String(s.latency.p99),
      String(s.latency.max),
      answers(s.outcomes),
    ]),
  ])
}

export function memoryTable(memory: MemorySample[], cores: Record<string, number>): string {
  const first = memory[0] as MemorySample
  const last = memory.at(-1) as MemorySample
  const mib = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toFixed(1))
  return table([
    ['process', 'start MiB', 'end MiB', 'max MiB', 'cores'],
    ...Object.keys(last.mib).map((name) => [
      name,
      mib(first.mib[name]),
      mib(last.mib[name]),
      mib(Math.max(...memory.map((m) => m.mib[name] ?? 0))),
      String(cores[name.startsWith('load') ? 'loadgen' : name] ?? '—'),
    ]),
  ])
}

/** One line a minute: the machine's load, calls answered, p99 of the main routes, unexpected answers. */
export function minuteTable(buckets: Record<string, Bucket[]>, memory: MemorySample[]): string {
  const main = [
    'POST /api/v1/requests',
    'POST /',
    'POST /twilio/sms',
    'POST /api/v1/tasks/claim',
    'POST /api/v1/tasks/:id/outcome',
  ]
  const minutes = Math.max(0, ...Object.values(buckets).map((b) => b.length))
  const rows = [['from s', 'load', 'calls', ...main.map((r) => `${r.replace(/^POST /, '')} p99`), 'unexpected']]
  for (let i = 0; i < minutes; i++) {
    const at = Object.values(buckets).find((b) => b[i])?.[i]?.fromS ?? i * 60
    const load = memory.reduce(
      (best, m) => (Math.abs(m.atS - at - 30) < Math.abs(best.atS - at - 30) ? m : best),
      memory[0] as MemorySample,
    )
    let calls = 0
    let unexpected = 0
    for (const [route, slices] of Object.entries(buckets)) {
      const b = slices[i]
      if (!b) continue
      calls += b.n
      for (const [answer, n] of Object.entries(b.outcomes)) if (!expected(route).includes(answer)) unexpected += n
    }
    rows.push([
      String(at),
      String(load.load1),
      String(calls),
      ...main.map((r) => String(buckets[r]?.[i]?.p99 ?? '—')),
      String(unexpected),
    ])
  }
  return table(rows)
}
