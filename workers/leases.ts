import type { ConnectionOptions } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Config } from '../src/config.js'
import { endLease, overdueLeases } from '../src/db/lease-repository.js'
import type { Db } from '../src/db/pool.js'
import type { CheckinsQueues } from '../src/queues/checkins.js'
import { closeHandWorkers, createHandWorkers, type HandWorkers } from '../src/queues/checkins-hand.js'

type Deps = { config: Pick<Config, 'LEASE_SECONDS'>; db: Db; redis: Redis; queues: CheckinsQueues; log: Logger }

/**
 * Ends the leases whose time is up: when the database says a lease is overdue and its BullMQ
 * lock is gone (no heartbeat came), the request goes back to `queued` with a `lease_expired`
 * event. BullMQ's own stalled check puts the job back in the queue.
 */
export async function sweepLeases(deps: Deps): Promise<number> {
  let ended = 0
  for (const lease of await overdueLeases(deps.db)) {
    const lockKey = deps.queues[lease.queue].toKey(`${lease.jobId}:lock`)
    // A lock still holding our token means a heartbeat reached Redis but not PostgreSQL: follow it.
    const [holder, ttlMs] = await Promise.all([deps.redis.get(lockKey), deps.redis.pttl(lockKey)])
    if (holder === lease.token && ttlMs > 0) {
      await deps.db.query('UPDATE leases SET expires_at = now() + make_interval(secs => $2) WHERE request_id = $1', [
        lease.requestId,
        ttlMs / 1000,
      ])
      continue
    }
    const end = { requestId: lease.requestId, token: lease.token, onlyIfExpired: true } as const
    if (await endLease(deps.db, { ...end, event: 'lease_expired', actorType: 'system' })) ended++
  }
  if (ended > 0) deps.log.info({ ended }, 'expired leases ended')
  return ended
}

/**
 * The worker-process side of the volunteer queues: BullMQ's stalled-job check (an expired lock
 * returns the job to waiting, however often) and the lease sweeper, every few seconds.
 */
export function startLeaseKeeping(deps: Deps & { connection: ConnectionOptions; prefix: string }) {
  const leaseMs = deps.config.LEASE_SECONDS * 1000
  const workers: HandWorkers = createHandWorkers({ connection: deps.connection, prefix: deps.prefix, leaseMs })
  for (const worker of Object.values(workers)) {
    worker.on('error', (err) => deps.log.warn({ err }, 'checkins stalled check error'))
    worker.startStalledCheckTimer().catch((err) => deps.log.warn({ err }, 'stalled check did not start'))
  }
  const everyMs = Math.min(15_000, Math.max(1000, Math.floor(leaseMs / 10)))
  // Chained, not an interval: a slow sweep (a busy database) never overlaps the next one.
  let timer: NodeJS.Timeout | undefined
  let running = Promise.resolve()
  let stopped = false
  const next = () => {
    timer = setTimeout(() => {
      running = sweepLeases(deps)
        .then(() => {})
        .catch((err) => deps.log.warn({ err }, 'lease sweep failed'))
        .finally(() => {
          if (!stopped) next()
        })
    }, everyMs)
  }
  next()
  return {
    async close() {
      stopped = true
      clearTimeout(timer)
      await running
      await closeHandWorkers(workers)
    },
  }
}
