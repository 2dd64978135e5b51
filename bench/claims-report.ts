/** The claims benchmark's figures: exact percentiles of the recorded latencies, and its text report. */

import type { States } from './pg-states.js'
import type { CallProfile } from './redis-profile.js'
import { round } from './report.js'
import type { waitsForCpu } from './sched.js'

export type Latency = { n: number; mean: number; p50: number; p90: number; p95: number; p99: number; max: number }

/** Nearest-rank percentiles of every recorded latency, in ms with 0.1 ms precision. */
export function latency(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b)
  const n = sorted.length
  const at = (p: number) => (n === 0 ? 0 : round(sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))] as number, 1))
  return {
    n,
    mean: n === 0 ? 0 : round(sorted.reduce((a, b) => a + b, 0) / n, 1),
    p50: at(0.5),
    p90: at(0.9),
    p95: at(0.95),
    p99: at(0.99),
    max: n === 0 ? 0 : round(sorted[n - 1] as number, 1),
  }
}

export type Check = { name: string; ok: boolean; detail: string }

const fmt = (l: Latency) => `p50 ${l.p50}  p90 ${l.p90}  p95 ${l.p95}  p99 ${l.p99}  max ${l.max}  (mean ${l.mean}, n ${l.n})`

export function printClaimsReport(input: {
  volunteers: number
  thinkMs: number
  relay: { rows: number; ms: number | null; cores: Record<string, number> | null; cpuWaits: CpuWaits }
  logins: Latency
  serial: { claim: Latency; outcome: Latency } | null
  profile: Record<string, CallProfile> | null
  run: {
    seconds: number
    claims: number
    claimsPerS: number
    claimsPerSTo90: number | null
    claim: Latency
    outcome: Latency
    empty: Latency
    failures: Record<string, number>
    stopReasons: Record<string, number>
    cores: Record<string, number> | null
    cpuWaits: CpuWaits
    pgWaits: Record<string, number> | null
    pgStates: States | null
  }
  aim: { limit: number; measured: number; met: boolean }
  checks: Check[]
  notes: string[]
}): string {
  const out: string[] = ['']
  const { relay, run } = input
  out.push(
    relay.ms === null
      ? `relay: the ${relay.rows} requests were NOT all queued in time`
      : `relay: ${relay.rows} requests moved to 'queued' in ${(relay.ms / 1000).toFixed(1)} s = ${Math.round(relay.rows / (relay.ms / 1000))} rows/s`,
  )
  if (relay.cores) out.push(`  cores used meanwhile: ${cores(relay.cores)}`)
  if (relay.cpuWaits) out.push(`  ${waiting(relay.cpuWaits)}`)
  out.push(`logins: ${input.logins.n} in parallel 8 at a time, ${fmt(input.logins)}`)
  if (input.serial) {
    out.push('one volunteer alone (no contention), latency in ms:')
    out.push(`  claim    ${fmt(input.serial.claim)}`)
    out.push(`  outcome  ${fmt(input.serial.outcome)}`)
  }
  if (input.profile) {
    for (const [kind, p] of Object.entries(input.profile)) {
      const by = Object.entries(p.byCommand)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')
      out.push(
        `Redis per ${kind} (MONITOR, ${p.calls} calls): ${p.commandsPerCall} commands [${by}]; ${p.insideScriptsPerCall} more inside scripts`,
      )
    }
  }
  out.push(
    '',
    `${input.volunteers} volunteers at once${input.thinkMs > 0 ? `, each pausing ${input.thinkMs} ms (0.5–1.5×) after an outcome` : ', flat out'}: ` +
      `${run.claims} claims in ${run.seconds.toFixed(1)} s = ${run.claimsPerS.toFixed(0)} claims/s` +
      (run.claimsPerSTo90 === null ? '' : ` (${run.claimsPerSTo90.toFixed(0)}/s up to the 90th percent of the claims)`),
  )
  out.push(`  claim (200)   ${fmt(run.claim)}`)
  out.push(`  outcome (200) ${fmt(run.outcome)}`)
  out.push(`  claim (204)   ${fmt(run.empty)}`)
  const failures = Object.entries(run.failures)
  out.push(`  non-2xx / errors: ${failures.length === 0 ? 'none' : failures.map(([k, v]) => `${k}: ${v}`).join(', ')}`)
  out.push(
    `  volunteers stopped: ${Object.entries(run.stopReasons)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}`,
  )
  if (run.cores) out.push(`  cores used: ${cores(run.cores)}`)
  if (run.cpuWaits) out.push(`  ${waiting(run.cpuWaits)}`)
  if (run.pgStates) {
    const parts = Object.entries(run.pgStates.meanByState).map(([k, v]) => `${k} ${v}`)
    out.push(`  the API's PostgreSQL connections by state (mean): ${parts.join(', ')}; at most ${run.pgStates.maxBusy} not idle`)
  }
  if (run.pgWaits) {
    const parts = Object.entries(run.pgWaits).map(([k, v]) => `${k} ${v}`)
    out.push(`  the API's active PostgreSQL connections by wait event (mean): ${parts.join(', ') || 'none'}`)
  }
  out.push(
    `  Little's law: ${input.volunteers} volunteers / ${run.claimsPerS.toFixed(0)} claims/s = ` +
      `${((input.volunteers / Math.max(1e-9, run.claimsPerS)) * 1000).toFixed(0)} ms per claim-and-outcome cycle`,
    '',
  )
  for (const c of input.checks) out.push(`check: ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`)
  out.push('')
  out.push(
    `aim: claim p99 < ${input.aim.limit} ms with ${input.volunteers} volunteers: ${input.aim.met ? 'PASS' : 'FAIL'} (${input.aim.measured} ms)`,
  )
  for (const note of input.notes) out.push(note)
  const failed = input.checks.filter((c) => !c.ok)
  if (failed.length > 0) {
    const bar = '!'.repeat(78)
    out.push('', bar, `!! ${failed.length} CHECK(S) FAILED: ${failed.map((c) => c.name).join('; ')}`, bar)
  }
  const text = out.join('\n')
  console.log(text)
  return text
}

type CpuWaits = ReturnType<typeof waitsForCpu>

function waiting(w: NonNullable<CpuWaits>) {
  const pressure = w.cpuPressureSomePct === null ? '' : `; CPU pressure: some task waited ${w.cpuPressureSomePct}% of the time`
  return `threads waiting for a core (mean): ${cores(w.threadsWaiting)}${pressure}`
}

function cores(c: Record<string, number>) {
  return Object.entries(c)
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ')
}
