/**
 * The fault run's moves: the faults themselves (each an injection, a time held, a restore), a
 * supervisor that restarts a process that died by itself, steady running, and the watch for
 * recovery after a restore.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { confirmedSnapshot, snapshot } from './consistency.js'
import type { FaultWindow, Recovery } from './fault-report.js'
import { BULL_PREFIX, deathNote, type Stack } from './stack.js'
import { CHANNELS, type Channel, type IntakeTraffic } from './traffic.js'

export type Fault = {
  key: string
  name: string
  inject: (s: Stack) => Promise<unknown>
  holdS: number
  restore: (s: Stack) => Promise<unknown>
}

/** The five faults, in order; `only` (e.g. `api,empty`) keeps some of them. */
export function faultList(o: { downS: number; freezeS: number }, only?: string): Fault[] {
  const all: Fault[] = [
    { key: 'api', name: 'kill -9 the API', inject: (s) => s.killApi(), holdS: o.downS, restore: (s) => s.startApi() },
    { key: 'worker', name: 'kill -9 a worker', inject: (s) => s.killWorker(0), holdS: o.downS, restore: (s) => s.startWorker(0) },
    {
      key: 'freeze',
      name: `freeze Redis ${o.freezeS} s`,
      inject: (s) => s.services.freezeRedis(),
      holdS: o.freezeS,
      restore: (s) => s.services.thawRedis(),
    },
    {
      key: 'empty',
      name: 'kill Redis, restart empty',
      inject: (s) => s.services.killRedis(),
      holdS: o.downS,
      restore: (s) => s.services.startRedis(),
    },
    {
      key: 'postgres',
      name: 'restart PostgreSQL',
      inject: (s) => s.services.stopPostgres(),
      holdS: o.downS,
      restore: (s) => s.services.startPostgres(),
    },
  ]
  const keys = only?.split(',').filter(Boolean)
  return keys?.length ? all.filter((f) => keys.includes(f.key)) : all
}

export class FaultSteps {
  private readonly look: { prefix: string; graceS: number }

  constructor(
    private readonly stack: Stack,
    private readonly traffic: IntakeTraffic,
    private readonly o: { graceS: number; recoverMaxS: number; check: () => void },
  ) {
    this.look = { prefix: BULL_PREFIX, graceS: o.graceS }
  }

  /** A supervisor's job: a process that died without being killed by the run is noted and started again. */
  private async supervise(w: FaultWindow) {
    const { stack } = this
    for (const child of [stack.api(), stack.worker(0), stack.worker(1)]) {
      if (!child?.exited()) continue
      w.incidents.push(`died by itself: ${deathNote(child)}`)
      await (child === stack.api() ? stack.startApi() : stack.startWorker(child === stack.worker(0) ? 0 : 1)).catch(
        (err: Error) => w.incidents.push(`restart failed: ${err.message}`),
      )
    }
  }

  /** Steady traffic for `seconds`, watching the processes. */
  async steady(w: FaultWindow, seconds: number) {
    const end = Date.now() + seconds * 1000
    while (Date.now() < end) {
      this.o.check()
      await this.supervise(w)
      await sleep(Math.max(0, Math.min(1000, end - Date.now())))
    }
  }

  /** The fault: injected, held, restored; then the watch for recovery. */
  async run(fault: Fault, w: FaultWindow) {
    w.faultAt = Date.now()
    await fault.inject(this.stack).catch((err: Error) => w.incidents.push(`inject: ${err.message}`))
    await sleep(fault.holdS * 1000)
    w.restoredAt = Date.now()
    await fault.restore(this.stack).catch((err: Error) => w.incidents.push(`restore: ${err.message}`))
    w.recovery = await this.recover(w)
  }

  /**
   * Looks once a second until intake answers on every channel, no open request lacks its job (nor
   * a claimed one), no outbox row is overdue and no notification is behind; bounded.
   */
  private async recover(w: FaultWindow): Promise<Recovery> {
    const from = w.restoredAt as number
    const at: { intake?: number; queues?: number; notifications?: number } = {}
    const byChannel: Partial<Record<Channel, number>> = {}
    while (Date.now() - from < this.o.recoverMaxS * 1000) {
      this.o.check()
      await this.supervise(w)
      for (const i of this.traffic.intakes.slice(-2000))
        if (i.reference && i.startedAt >= from && byChannel[i.channel] === undefined)
          byChannel[i.channel] = (i.endedAt - from) / 1000
      if (CHANNELS.every((c) => byChannel[c] !== undefined)) at.intake ??= Date.now()
      const snap = await snapshot(this.stack.db, this.stack.redis, this.look).catch(() => null)
      if (snap) {
        w.maxDuplicates = Math.max(w.maxDuplicates, snap.duplicates.length)
        const queued = snap.stranded.length === 0 && snap.claimedWithoutJob === 0 && snap.outboxOverdue === 0
        at.queues = queued ? (at.queues ?? Date.now()) : undefined
        at.notifications = snap.notificationsBehind === 0 ? (at.notifications ?? Date.now()) : undefined
      }
      if (at.intake && at.queues && at.notifications) break
      await sleep(1000)
    }
    // Intake's time is exact (the last channel's first acknowledgement); the others are to the look.
    const channels = CHANNELS.map((c) => byChannel[c])
    const intakeBackS = channels.every((t) => t !== undefined) ? Math.max(...(channels as number[])) : null
    const [queuesS, notificationsS] = [at.queues, at.notifications].map((t) => (t === undefined ? null : (t - from) / 1000))
    const parts = [intakeBackS, queuesS ?? null, notificationsS ?? null]
    const recoverS = parts.some((p) => p === null) ? null : Math.max(...(parts as number[]))
    return { intakeBackS: parts[0] ?? null, queuesS: parts[1] ?? null, notificationsS: parts[2] ?? null, recoverS, byChannel }
  }

  /** The end-of-window look, confirmed; null if nothing answered after three tries. */
  async endLook() {
    for (let i = 0; i < 3; i++) {
      const snap = await confirmedSnapshot(this.stack.db, this.stack.redis, this.look).catch(() => null)
      if (snap) return snap
      await sleep(2000)
    }
    return null
  }
}
