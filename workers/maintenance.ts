import { type ConnectionOptions, type Job, Queue, Worker } from 'bullmq'
import type { Logger } from 'pino'
import type { Config } from '../src/config.js'
import { compactRequestCounts, escalateWaiting } from '../src/db/backlog-repository.js'
import { purgeClosedRequests, purgeShortLived } from '../src/db/maintenance-repository.js'
import type { Db } from '../src/db/pool.js'

/** Housekeeping that must run once across all worker processes: BullMQ job schedulers. */
export const MAINTENANCE_QUEUE = 'maintenance'
const PURGE_EVERY_MS = 10 * 60 * 1000
const TICK_EVERY_MS = 30 * 1000

type Deps = { config: Pick<Config, 'RETENTION_DAYS' | 'SMS_IDLE_MINUTES' | 'ESCALATE_AFTER_MINUTES'>; db: Db; log: Logger }

/** The retention purge and the short-lived rows (every ten minutes). */
export async function runMaintenance(deps: Deps): Promise<{ purged: number }> {
  const purged = await purgeClosedRequests(deps.db, deps.config.RETENTION_DAYS)
  await purgeShortLived(deps.db, { idleMinutes: deps.config.SMS_IDLE_MINUTES, retentionDays: deps.config.RETENTION_DAYS })
  if (purged > 0) deps.log.info({ purged }, 'personal data of closed requests purged')
  return { purged }
}

/** Escalation of long waits and the state counters' compaction (every half minute). */
export async function runTick(deps: Deps): Promise<{ escalated: number }> {
  const escalated = await escalateWaiting(deps.db, deps.config.ESCALATE_AFTER_MINUTES)
  await compactRequestCounts(deps.db)
  if (escalated > 0) deps.log.info({ escalated }, 'long-waiting requests escalated')
  return { escalated }
}

/** Schedules both (one schedule each, whatever the number of workers) and works them. */
export async function startMaintenance(deps: Deps & { connection: ConnectionOptions; prefix: string }) {
  const queue = new Queue(MAINTENANCE_QUEUE, { connection: deps.connection, prefix: deps.prefix })
  queue.on('error', (err) => deps.log.warn({ err }, 'maintenance queue error'))
  const keep = { removeOnComplete: 100, removeOnFail: 100 }
  await queue.upsertJobScheduler('purge', { every: PURGE_EVERY_MS }, { name: 'purge', opts: keep })
  await queue.upsertJobScheduler('tick', { every: TICK_EVERY_MS }, { name: 'tick', opts: keep })
  const worker = new Worker(MAINTENANCE_QUEUE, (job: Job) => (job.name === 'tick' ? runTick(deps) : runMaintenance(deps)), {
    connection: deps.connection,
    prefix: deps.prefix,
  })
  worker.on('error', (err) => deps.log.warn({ err }, 'maintenance worker error'))
  return {
    async close() {
      await worker.close()
      await queue.close()
    },
  }
}
