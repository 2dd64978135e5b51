import { type ConnectionOptions, type Job, Queue, Worker } from 'bullmq'
import type { Logger } from 'pino'
import type { Config } from '../src/config.js'
import { compactRequestCounts, escalateWaiting } from '../src/db/backlog-repository.js'
import { purgeClosedRequests, purgeShortLived } from '../src/db/maintenance-repository.js'
import type { Db } from '../src/db/pool.js'
import { MAINTENANCE_QUEUE } from '../src/queues/maintenance.js'
import { deleteDueRecordings } from '../src/services/voice-recordings.js'
import type { TwilioClient } from '../src/twilio/client.js'

/**
 * Housekeeping that must run once across all worker processes: BullMQ job schedulers, one
 * schedule each whatever the number of workers.
 */
const SCHEDULES = [
  { id: 'purge', every: 10 * 60 * 1000 },
  { id: 'tick', every: 30 * 1000 },
] as const
const KEEP = { removeOnComplete: 100, removeOnFail: 100 }

type Deps = {
  config: Pick<Config, 'RETENTION_DAYS' | 'SMS_IDLE_MINUTES' | 'ESCALATE_AFTER_MINUTES'>
  db: Db
  log: Logger
  /** For deleting purged requests' voice recordings at Twilio; without it they wait for a run that has it. */
  twilio?: TwilioClient
}

/** The retention purge and the short-lived rows (every ten minutes). */
export async function runMaintenance(deps: Deps): Promise<{ purged: number }> {
  const purged = await purgeClosedRequests(deps.db, deps.config.RETENTION_DAYS)
  await purgeShortLived(deps.db, { idleMinutes: deps.config.SMS_IDLE_MINUTES, retentionDays: deps.config.RETENTION_DAYS })
  if (purged > 0) deps.log.info({ purged }, 'personal data of closed requests purged')
  const recordings = deps.twilio ? await deleteDueRecordings({ db: deps.db, twilio: deps.twilio, log: deps.log }) : 0
  if (recordings > 0) deps.log.info({ recordings }, 'voice recordings deleted at Twilio')
  return { purged }
}

/** Escalation of long waits and the state counters' compaction (every half minute). */
export async function runTick(deps: Deps): Promise<{ escalated: number }> {
  const escalated = await escalateWaiting(deps.db, deps.config.ESCALATE_AFTER_MINUTES)
  await compactRequestCounts(deps.db)
  if (escalated > 0) deps.log.info({ escalated }, 'long-waiting requests escalated')
  return { escalated }
}

/**
 * Writes the schedules (at start, so that a release's new intervals apply), or only the missing
 * ones (`onlyMissing`: an upsert every run would be needless writes); returns how many it wrote.
 */
async function ensureSchedules(queue: Queue, onlyMissing: boolean): Promise<number> {
  let created = 0
  for (const { id, every } of SCHEDULES) {
    if (onlyMissing && (await queue.getJobScheduler(id))) continue
    await queue.upsertJobScheduler(id, { every }, { name: id, opts: KEEP })
    created++
  }
  return created
}

/**
 * Schedules both and works them. `restoreSchedules` puts back schedules a Redis that restarted
 * empty forgot (the reconciler calls it): without them the retention purge would stop for good.
 */
export async function startMaintenance(deps: Deps & { connection: ConnectionOptions; prefix: string }) {
  const queue = new Queue(MAINTENANCE_QUEUE, { connection: deps.connection, prefix: deps.prefix })
  queue.on('error', (err) => deps.log.warn({ err }, 'maintenance queue error'))
  await ensureSchedules(queue, false)
  const worker = new Worker(MAINTENANCE_QUEUE, (job: Job) => (job.name === 'tick' ? runTick(deps) : runMaintenance(deps)), {
    connection: deps.connection,
    prefix: deps.prefix,
  })
  worker.on('error', (err) => deps.log.warn({ err }, 'maintenance worker error'))
  return {
    restoreSchedules: () => ensureSchedules(queue, true),
    async close() {
      await worker.close()
      await queue.close()
    },
  }
}
