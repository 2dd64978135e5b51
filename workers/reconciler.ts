import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Config } from '../src/config.js'
import type { Db } from '../src/db/pool.js'
import {
  openRequestIds,
  type ReconcileCounts,
  recordReconcileRun,
  releaseReconcileLock,
  tryReconcileLock,
  unheldRequests,
  unsentNotifications,
} from '../src/db/reconcile-repository.js'
import { LANGUAGES, type Language } from '../src/domain/request-states.js'
import { nextAttemptAt } from '../src/domain/retry-policy.js'
import { type CheckinsQueues, checkinJobId } from '../src/queues/checkins.js'
import { type NotifyJob, notifyJobId } from '../src/queues/notify.js'
import { withRedis } from '../src/services/redis-guard.js'
import { enqueueCheckins, enqueueNotifications } from './outbox-relay.js'
import { type Presence, presence, type Snapshot, seen, snapshot } from './reconciler-lookups.js'

/** Rows read from PostgreSQL per step, and request ids checked per query. */
const BATCH = 500
const PAGE = 1000
/** The maintenance queue waits for Redis forever: restoring its schedules must not. */
const SCHEDULES_TIMEOUT_MS = 5000

export type ReconcilerDeps = {
  config: Pick<
    Config,
    'RECONCILE_EVERY_MS' | 'RETRY_DELAYS_MINUTES' | 'NOTIFY_ATTEMPTS' | 'NOTIFY_BACKOFF_MS' | 'TWILIO_TIMEOUT_MS'
  >
  db: Db
  /** On fail-fast connections: while Redis is away a run fails at once and the next one retries. */
  checkins: CheckinsQueues
  notify: Queue<NotifyJob>
  /** For the pipelined look-ups (BullMQ's client interface has no EXISTS or ZSCORE). */
  redis: Redis
  log: Logger
  /** Puts back the maintenance schedules an emptied Redis forgot; returns how many. */
  restoreSchedules?: () => Promise<number>
  /** Gives pending partner webhook pushes their forgotten jobs back; returns how many. */
  restoreDeliveries?: () => Promise<number>
}

/**
 * Gives every open request nobody holds its checkins job back: re-added with its priority, and
 * delayed to its due time when it waits out a retry after an unanswered call. A finished job left
 * behind by an open request makes way for a fresh one.
 */
async function restoreCheckins(deps: ReconcilerDeps, counts: ReconcileCounts, queues: Record<Language, Snapshot>) {
  for (let after = '0'; ; ) {
    const batch = await unheldRequests(deps.db, { after, limit: BATCH })
    after = batch.at(-1)?.id ?? after
    const absent = new Map<string, Presence>()
    for (const language of LANGUAGES) {
      const unseen = batch.filter((r) => r.language === language && !seen(queues[language], checkinJobId(r.id)))
      if (unseen.length === 0) continue
      const states = await presence(
        deps.redis,
        deps.checkins[language],
        unseen.map((r) => checkinJobId(r.id)),
      )
      unseen.forEach((r, i) => {
        if (states[i] !== 'live') absent.set(r.id, states[i] as Presence)
      })
    }
    if (absent.size > 0) {
      // Read again just before acting: a request claimed or closed since the batch was read stays alone.
      const still = await unheldRequests(deps.db, { after: '0', limit: absent.size, ids: [...absent.keys()] })
      for (const r of still) if (absent.get(r.id) === 'finished') await deps.checkins[r.language].remove(checkinJobId(r.id))
      const now = Date.now()
      const jobs = still.map((r) => {
        const due = r.retryFrom && r.attempt ? nextAttemptAt(r.retryFrom, deps.config.RETRY_DELAYS_MINUTES, r.attempt) : null
        return { requestId: r.id, language: r.language, priority: r.priority, delayMs: Math.max(0, (due?.getTime() ?? 0) - now) }
      })
      await enqueueCheckins(deps.checkins, jobs)
      counts.requeued += jobs.length
      counts.delayed += jobs.filter((j) => j.delayMs > 0).length
    }
    if (batch.length < BATCH) return
  }
}

/** Removes waiting jobs whose request is closed (cancelled, merged, answered) or gone. */
async function removeClosedJobs(deps: ReconcilerDeps, counts: ReconcileCounts, queues: Record<Language, Snapshot>) {
  for (const language of LANGUAGES) {
    const requestIds = [...queues[language].waiting].flatMap((id) => /^request-(\d+)$/.exec(id)?.[1] ?? [])
    for (let i = 0; i < requestIds.length; i += PAGE) {
      const chunk = requestIds.slice(i, i + PAGE)
      const open = await openRequestIds(deps.db, chunk)
      for (const id of chunk) if (!open.has(id)) counts.removed += await deps.checkins[language].remove(checkinJobId(id))
    }
  }
}

/**
 * Gives unsent notifications whose job is gone a job again, by notification id: the notify
 * worker sends a notification at most once (and looks in Twilio first after an interrupted send).
 */
async function restoreNotifications(deps: ReconcilerDeps, counts: ReconcileCounts) {
  const queue = await snapshot(deps.notify)
  // Longer than any one send can take (the Twilio timeout), so that no send is still in flight.
  const sendingGraceMs = 2 * deps.config.TWILIO_TIMEOUT_MS
  for (let after = '0'; ; ) {
    const ids = await unsentNotifications(deps.db, { after, limit: BATCH, sendingGraceMs })
    after = ids.at(-1) ?? after
    const unseen = ids.filter((id) => !seen(queue, notifyJobId(id)))
    const states = unseen.length > 0 ? await presence(deps.redis, deps.notify, unseen.map(notifyJobId)) : []
    const missing = unseen.filter((_, i) => states[i] === 'missing')
    if (missing.length > 0) {
      const still = await unsentNotifications(deps.db, { after: '0', limit: missing.length, sendingGraceMs, ids: missing })
      await enqueueNotifications(deps.notify, deps.config, still)
      counts.notifications += still.length
    }
    if (ids.length < BATCH) return
  }
}

/** One pass over everything; logs (counts only) when it changed something. */
async function reconcile(deps: ReconcilerDeps): Promise<ReconcileCounts> {
  const counts: ReconcileCounts = { requeued: 0, delayed: 0, removed: 0, notifications: 0, schedules: 0 }
  const queues = Object.fromEntries(
    await Promise.all(LANGUAGES.map(async (language) => [language, await snapshot(deps.checkins[language])])),
  ) as Record<Language, Snapshot>
  await restoreCheckins(deps, counts, queues)
  await removeClosedJobs(deps, counts, queues)
  await restoreNotifications(deps, counts)
  // Pushes to partners are notifications too (counted with them; the totals keep their columns).
  if (deps.restoreDeliveries) counts.notifications += await deps.restoreDeliveries()
  if (deps.restoreSchedules) counts.schedules = await withRedis(SCHEDULES_TIMEOUT_MS, deps.restoreSchedules)
  await recordReconcileRun(deps.db, counts)
  if (Object.values(counts).some((n) => n > 0)) deps.log.info(counts, 'reconciler restored the queues from PostgreSQL')
  return counts
}

/**
 * The reconciler: PostgreSQL is the truth, Redis a helper that may come back empty (a restart
 * without persistence, a failover). Every RECONCILE_EVERY_MS, chained (a run never overlaps the
 * next), it re-enqueues what should have a job and has none, and removes the jobs of closed
 * requests. Leased requests are the lease sweeper's; rows still in the outbox are the relay's.
 * A session advisory lock lets one worker process reconcile at a time, with no transaction open.
 */
export function createReconciler(deps: ReconcilerDeps) {
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let stopped = false

  /** One run; null when another process holds the lock. */
  async function runOnce(): Promise<ReconcileCounts | null> {
    const client = await deps.db.connect()
    let healthy = false
    try {
      if (!(await tryReconcileLock(client))) {
        healthy = true
        return null
      }
      try {
        return await reconcile(deps)
      } finally {
        await releaseReconcileLock(client)
        healthy = true
      }
    } finally {
      // A connection in doubt is closed rather than reused: closing it also drops the lock.
      client.release(!healthy)
    }
  }

  function tick() {
    if (stopped) return
    running = runOnce()
      .then(() => {})
      .catch((err: Error) => deps.log.warn({ err }, 'reconciler run failed; next run at the usual interval'))
      .then(() => {
        running = undefined
        if (!stopped) timer = setTimeout(tick, deps.config.RECONCILE_EVERY_MS)
      })
  }

  return {
    runOnce,
    /** Runs at once (a worker starting after an empty Redis), then every RECONCILE_EVERY_MS. */
    start() {
      tick()
    },
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}
