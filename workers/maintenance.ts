import { type ConnectionOptions, Queue, Worker } from 'bullmq'
import type { Logger } from 'pino'
import type { Config } from '../src/config.js'
import { purgeClosedRequests, purgeShortLived } from '../src/db/maintenance-repository.js'
import type { Db } from '../src/db/pool.js'

/** Housekeeping that must run once across all worker processes: a BullMQ job scheduler. */
export const MAINTENANCE_QUEUE = 'maintenance'
const EVERY_MS = 10 * 60 * 1000

type Deps = { config: Pick<Config, 'RETENTION_DAYS' | 'SMS_IDLE_MINUTES'>; db: Db; log: Logger }

/** One maintenance run: the retention purge and the short-lived rows. */
export async function runMaintenance(deps: Deps): Promise<{ purged: number }> {
  const purged = await purgeClosedRequests(deps.db, deps.config.RETENTION_DAYS)
  await purgeShortLived(deps.db, { idleMinutes: deps.config.SMS_IDLE_MINUTES, retentionDays: deps.config.RETENTION_DAYS })
  if (purged > 0) deps.log.info({ purged }, 'personal data of closed requests purged')
  return { purged }
}

/** Schedules maintenance every ten minutes (one schedule, whatever the number of workers) and works it. */
export async function startMaintenance(deps: Deps & { connection: ConnectionOptions; prefix: string }) {
  const queue = new Queue(MAINTENANCE_QUEUE, { connection: deps.connection, prefix: deps.prefix })
  queue.on('error', (err) => deps.log.warn({ err }, 'maintenance queue error'))
  await queue.upsertJobScheduler(
    'purge',
    { every: EVERY_MS },
    { name: 'purge', opts: { removeOnComplete: 100, removeOnFail: 100 } },
  )
  const worker = new Worker(MAINTENANCE_QUEUE, () => runMaintenance(deps), { connection: deps.connection, prefix: deps.prefix })
  worker.on('error', (err) => deps.log.warn({ err }, 'maintenance worker error'))
  return {
    async close() {
      await worker.close()
      await queue.close()
    },
  }
}
