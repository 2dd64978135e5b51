/** The benchmark's verdicts and its table on stdout. */
import type { Measure } from './load.js'
import type { Waits } from './pg-waits.js'

export type TargetResult = {
  name: string
  route: string
  server: string
  warmup: Measure | null
  rate: Measure
  saturation: Measure
  /** Cores used by each process during the saturation run. */
  saturationCores: Record<string, number> | null
  /** The server's PostgreSQL connections during the saturation run, by wait event. */
  saturationPgWaits: Waits | null
}

export type Aims = {
  intakeP99Ms: { limit: number; measured: number; met: boolean }
  intakeVsInsert: { min: number; measured: number; met: boolean }
}

/** The aims: at saturation, intake p99 < 50 ms and intake ≥ 0.8× the one-INSERT route. */
export function judge(intake: TargetResult, insert: TargetResult): Aims {
  const ratio = intake.saturation.reqPerSec / insert.saturation.reqPerSec
  return {
    intakeP99Ms: { limit: 50, measured: intake.saturation.latencyMs.p99, met: intake.saturation.latencyMs.p99 < 50 },
    intakeVsInsert: { min: 0.8, measured: round(ratio, 3), met: ratio >= 0.8 },
  }
}

export function round(n: number, digits = 0): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')
}

function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  const [head, ...body] = rows
  const line = widths.map((w) => '-'.repeat(w)).join('  ')
  return [pad(head ?? [], widths), line, ...body.map((r) => pad(r, widths))].join('\n')
}

// autocannon records whole milliseconds: 0 means under 1 ms.
const ms = (n: number) => n.toFixed(0)

/** Prints the results, ratios and verdicts; returns the text printed. */
export function printReport(input: {
  targets: TargetResult[]
  aims: Aims
  connections: number
  logLevel: string
  unexpected: number
  notes: string[]
}): string {
  const { targets, aims, connections } = input
  const rows = [
    ['target', 'route', 'sat req/s', 'sat p50', 'sat p99', 'rate offered', 'rate req/s', 'rate p50', 'rate p99', 'unexpected'],
    ...targets.map((t) => [
      t.name,
      `${t.route} (${t.server})`,
      t.saturation.reqPerSec.toFixed(0),
      ms(t.saturation.latencyMs.p50),
      ms(t.saturation.latencyMs.p99),
      String(t.rate.offeredRate ?? ''),
      t.rate.reqPerSec.toFixed(0),
      ms(t.rate.latencyMs.p50),
      ms(t.rate.latencyMs.p99),
      String(t.saturation.unexpected + t.rate.unexpected + (t.warmup?.unexpected ?? 0)),
    ]),
  ]
  const byName = Object.fromEntries(targets.map((t) => [t.name, t]))
  const intake = byName.intake
  const out: string[] = []
  out.push('', `Latencies in ms. "sat" = ${connections} connections as fast as they go; "rate" = fixed offered rate.`, '')
  out.push(table(rows), '')
  if (intake && byName.insert && byName.hello) {
    const r1 = intake.saturation.reqPerSec / byName.insert.saturation.reqPerSec
    const r2 = intake.saturation.reqPerSec / byName.hello.saturation.reqPerSec
    out.push(`throughput ratio intake/insert: ${r1.toFixed(2)}   intake/hello: ${r2.toFixed(3)}`)
    for (const t of [byName.insert, intake]) {
      out.push(
        `Little's law, ${t.name}: ${connections} connections / ${t.saturation.reqPerSec.toFixed(0)} req/s = ` +
          `${((connections / t.saturation.reqPerSec) * 1000).toFixed(0)} ms mean latency at saturation`,
      )
    }
    out.push(`a p99 < 50 ms at ${connections} closed-loop connections needs > ${(connections / 0.05).toFixed(0)} req/s`)
  }
  for (const t of targets) {
    if (t.saturationCores) {
      const parts = Object.entries(t.saturationCores).map(([k, v]) => `${k} ${v.toFixed(2)}`)
      out.push(`cores used during ${t.name} saturation: ${parts.join(', ')}`)
    }
    if (t.saturationPgWaits) {
      const parts = Object.entries(t.saturationPgWaits.meanActive).map(([k, v]) => `${k} ${v}`)
      out.push(`${t.name} saturation, its active PostgreSQL connections by wait event (mean): ${parts.join(', ') || 'none'}`)
    }
  }
  for (const t of targets) {
    const offered = t.rate.offeredRate ?? 0
    if (offered > 0 && t.rate.reqPerSec < 0.95 * offered) {
      out.push(
        `NOTE: ${t.name} did not reach the offered ${offered} req/s (${t.rate.reqPerSec.toFixed(0)}): each of the ` +
          `${t.rate.connections} connections waits for its answer, so its "rate" latency includes queueing.`,
      )
    }
  }
  out.push('')
  const verdict = (met: boolean) => (met ? 'PASS' : 'FAIL')
  out.push(
    `aim: intake p99 < ${aims.intakeP99Ms.limit} ms at ${connections} connections: ${verdict(aims.intakeP99Ms.met)} (${ms(aims.intakeP99Ms.measured)} ms)`,
  )
  out.push(
    `aim: intake throughput >= ${aims.intakeVsInsert.min}x insert: ${verdict(aims.intakeVsInsert.met)} (${aims.intakeVsInsert.measured.toFixed(2)}x)`,
  )
  out.push(`API log level: ${input.logLevel}`)
  for (const note of input.notes) out.push(note)
  if (input.unexpected > 0) {
    const bar = '!'.repeat(78)
    out.push(
      '',
      bar,
      `!! THIS RUN HAD ${input.unexpected} ERRORS / UNEXPECTED RESPONSES: its figures are NOT valid.`,
      '!! See statusCodes / errors in the JSON summary.',
      bar,
    )
  } else {
    out.push('every response had the expected status (200 for hello, 201 for insert and intake); no errors')
  }
  const text = out.join('\n')
  console.log(text)
  return text
}
