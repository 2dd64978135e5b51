/** The fault run's figures per window (the steady start, then one per fault), its table and verdict. */
import { latency } from './claims-report.js'
import type { NotificationTally, Snapshot } from './consistency.js'
import { round } from './report.js'
import type { Channel, Intake } from './traffic.js'

export type Recovery = {
  /** Seconds from the restore until an intake on every channel was acknowledged again. */
  intakeBackS: number | null
  /** …until no open request lacked its job and no outbox row was overdue. */
  queuesS: number | null
  /** …until no notification older than the grace was still waiting to go to Twilio. */
  notificationsS: number | null
  /** The last of the three; null when the bound passed first. */
  recoverS: number | null
  byChannel: Partial<Record<Channel, number>>
}

export type FaultWindow = {
  name: string
  from: number
  to: number
  faultAt?: number
  restoredAt?: number
  recovery?: Recovery
  /** Most requests with two live jobs seen by any look during the window. */
  maxDuplicates: number
  end: Snapshot | null
  /** Requests stranded (open, no job) at the window's end that were not at the previous one's. */
  newStranded: number
  /** Processes that died without being told to, and errors while injecting or restoring. */
  incidents: string[]
}

export type WindowFigures = {
  window: string
  acknowledged: number
  failedIntakes: number
  /** Failed intakes started between the fault and intake answering again on every channel. */
  failedDuringFault: number
  /** Intake's answers (or failures) to the intakes started during the fault, ms (SMS: both messages). */
  faultP50Ms: number | null
  faultP99Ms: number | null
  lost: number
  neverQueued: number
  duplicateJobs: number
  notificationsLost: number
  notificationsDoubled: number
  recovery: Recovery | null
  incidents: string[]
}

const inside = (t: number, w: { from: number; to: number }) => t >= w.from && t < w.to

export function figures(
  w: FaultWindow,
  intakes: Intake[],
  missing: Set<string>,
  n: NotificationTally | undefined,
): WindowFigures {
  const mine = intakes.filter((i) => inside(i.endedAt, w))
  const acked = mine.filter((i) => i.reference)
  // The fault lasts, for the requester, until intake answers again on every channel.
  const back = w.restoredAt !== undefined ? w.restoredAt + (w.recovery?.intakeBackS ?? Number.POSITIVE_INFINITY) * 1000 : w.to
  const during = w.faultAt !== undefined ? { from: w.faultAt, to: Math.min(back, w.to) + 1 } : null
  const inFault = during ? latency(mine.filter((i) => inside(i.startedAt, during)).map((i) => i.endedAt - i.startedAt)) : null
  return {
    window: w.name,
    faultP50Ms: inFault?.n ? inFault.p50 : null,
    faultP99Ms: inFault?.n ? inFault.p99 : null,
    acknowledged: acked.length,
    failedIntakes: mine.length - acked.length,
    failedDuringFault: during ? mine.filter((i) => !i.reference && inside(i.startedAt, during)).length : 0,
    lost: acked.filter((i) => missing.has(i.reference as string)).length,
    neverQueued: w.newStranded,
    duplicateJobs: Math.max(w.maxDuplicates, w.end?.duplicates.length ?? 0),
    notificationsLost: n?.lost ?? 0,
    notificationsDoubled: n?.doubled ?? 0,
    recovery: w.recovery ?? null,
    incidents: w.incidents,
  }
}

export function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')
  const [head, ...body] = rows
  return [line(head ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n')
}

const s = (n: number | null | undefined) => (n === null || n === undefined ? '—' : String(round(n, 1)))

/** The recovery time, or why there is none: `NOT` (intake or queues), `>N notif` (only notifications lagged). */
function recovered(r: Recovery | null): string {
  if (!r) return ''
  if (r.intakeBackS === null || r.queuesS === null) return 'NOT'
  return r.recoverS === null ? `notif lag` : s(r.recoverS)
}

/** The table: one line per window. */
export function faultTable(all: WindowFigures[]): string {
  return table([
    [
      'window',
      'acked',
      'failed',
      'fault p50/p99 ms',
      'lost',
      'never queued',
      'dup jobs',
      'notif lost',
      'notif doubled',
      'intake back s',
      'queues s',
      'notif s',
      'recover s',
    ],
    ...all.map((f) => [
      f.window,
      String(f.acknowledged),
      `${f.failedIntakes}${f.failedDuringFault ? ` (${f.failedDuringFault} in fault)` : ''}`,
      f.faultP99Ms === null ? '' : `${Math.round(f.faultP50Ms ?? 0)}/${Math.round(f.faultP99Ms)}`,
      String(f.lost),
      String(f.neverQueued),
      String(f.duplicateJobs),
      String(f.notificationsLost),
      String(f.notificationsDoubled),
      s(f.recovery?.intakeBackS),
      s(f.recovery?.queuesS),
      s(f.recovery?.notificationsS),
      recovered(f.recovery),
    ]),
  ])
}

/**
 * What the run reports without failing: processes that died by themselves (the run restarted
 * them, as a supervisor would) and notifications still behind when the bound passed (they are
 * counted as lost at the end if they never go).
 */
export function warnings(all: WindowFigures[]): string[] {
  const out: string[] = []
  for (const f of all) {
    for (const i of f.incidents) out.push(`${f.window}: ${i}`)
    if (f.recovery && f.recovery.notificationsS === null)
      out.push(`${f.window}: notifications still behind when the bound passed`)
  }
  return out
}

/** Why the run fails, one line per broken promise; empty when it passes. */
export function verdicts(
  all: WindowFigures[],
  final: { stranded: number; duplicates: number; overlapping: number; httpDoubleHolds: number; unknownSends: number },
): string[] {
  const out: string[] = []
  for (const f of all) {
    const broken = [
      f.lost && `${f.lost} acknowledged requests lost`,
      f.neverQueued && `${f.neverQueued} requests left without a job`,
      f.duplicateJobs && `${f.duplicateJobs} requests with two live jobs`,
      f.notificationsLost && `${f.notificationsLost} notifications never sent`,
      f.notificationsDoubled && `${f.notificationsDoubled} notifications sent twice`,
      f.recovery &&
        (f.recovery.intakeBackS === null || f.recovery.queuesS === null) &&
        'intake or the queues did not recover within the bound',
    ].filter(Boolean)
    if (broken.length) out.push(`${f.window}: ${broken.join('; ')}`)
  }
  if (final.stranded) out.push(`at the end: ${final.stranded} open requests without a job`)
  if (final.duplicates) out.push(`at the end: ${final.duplicates} requests with two live jobs`)
  if (final.overlapping) out.push(`${final.overlapping} requests worked by two volunteers at once (overlapping attempts)`)
  if (final.httpDoubleHolds)
    out.push(`${final.httpDoubleHolds} outcomes accepted after another volunteer had claimed the request`)
  if (final.unknownSends) out.push(`${final.unknownSends} messages or calls at Twilio naming no notification row`)
  return out
}
