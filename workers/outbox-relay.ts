import type { Queue } from 'bullmq'
import type pg from 'pg'
import type { Logger } from 'pino'
import type { Config } from '../src/config.js'
import { lockPending, markFailed, markSent, type OutboxRow } from '../src/db/outbox-repository.js'
import { type Db, withTransaction } from '../src/db/pool.js'
import { markQueued } from '../src/db/request-repository.js'
import { LANGUAGES, type Language } from '../src/domain/request-states.js'
import { CheckinJobSchema, type CheckinsQueues, checkinJobId } from '../src/queues/checkins.js'
import { type NotifyJob, NotifyJobSchema, notifyJobId, notifyJobOptions } from '../src/queues/notify.js'
import { pollLoop } from './poll-loop.js'

const BATCH = 200

export type OutboxRelayDeps = {
  config: Pick<Config, 'OUTBOX_POLL_MS' | 'NOTIFY_ATTEMPTS' | 'NOTIFY_BACKOFF_MS'>
  db: Db
  checkins: CheckinsQueues
  notify: Queue<NotifyJob>
  log: Logger
}

type TopicHandler = (client: pg.PoolClient, deps: OutboxRelayDeps, rows: OutboxRow[]) => Promise<void>

/** A request's checkins job; `delayMs` holds it back (a retry after an unanswered call). */
export type CheckinToAdd = { requestId: string; language: Language | null; priority: number | null; delayMs?: number }

/**
 * Adds checkins jobs, one bulk per language queue. The job id comes from the request, so adding
 * a request that has a job already is a no-op. Shared with the reconciler: both add the same jobs.
 */
export async function enqueueCheckins(checkins: CheckinsQueues, jobs: CheckinToAdd[]): Promise<void> {
  for (const language of LANGUAGES) {
    const mine = jobs.filter((j) => (j.language ?? 'ru') === language)
    if (mine.length === 0) continue
    await checkins[language].addBulk(
      mine.map((j) => ({
        name: 'checkin',
        data: CheckinJobSchema.parse({ requestId: j.requestId }),
        opts: { jobId: checkinJobId(j.requestId), priority: j.priority ?? undefined, ...(j.delayMs ? { delay: j.delayMs } : {}) },
      })),
    )
  }
}

/** Adds notify jobs by notification id, with the queue's retries (shared with the reconciler). */
export async function enqueueNotifications(
  notify: Queue<NotifyJob>,
  config: Pick<Config, 'NOTIFY_ATTEMPTS' | 'NOTIFY_BACKOFF_MS'>,
  notificationIds: string[],
): Promise<void> {
  const options = notifyJobOptions(config)
  await notify.addBulk(
    notificationIds.map((id) => {
      const data = NotifyJobSchema.parse({ notificationId: id })
      return { name: 'notify', data, opts: { ...options, jobId: notifyJobId(data.notificationId) } }
    }),
  )
}

// Each topic's jobs carry a job id derived from the row's subject, so a batch re-sent after a
// crash (jobs added, transaction not committed) adds nothing twice.
const TOPICS: Record<string, TopicHandler> = {
  'checkins.enqueue': async (client, deps, rows) => {
    await enqueueCheckins(
      deps.checkins,
      rows.map((r) => ({ requestId: String(r.requestId), language: r.language, priority: r.priority })),
    )
    await markQueued(
      client,
      rows.map((r) => String(r.requestId)),
    )
  },
  // A waiting job follows its request's new priority (a linked requester added a flag, or a
  // coordinator changed it); a claimed or finished one has nothing to follow.
  'checkins.priority': async (_client, deps, rows) => {
    for (const r of rows) {
      const job = await deps.checkins[r.language ?? 'ru'].getJob(checkinJobId(String(r.requestId)))
      const state = job ? await job.getState() : undefined
      if (job && r.priority && (state === 'prioritized' || state === 'waiting'))
        await job.changePriority({ priority: r.priority })
    }
  },
  // A closed request put back by a coordinator: its finished job makes way for a fresh one.
  'checkins.requeue': async (_client, deps, rows) => {
    for (const r of rows) {
      const queue = deps.checkins[r.language ?? 'ru']
      const jobId = checkinJobId(String(r.requestId))
      await queue.remove(jobId)
      await enqueueCheckins(deps.checkins, [{ requestId: String(r.requestId), language: r.language, priority: r.priority }])
    }
  },
  'notify.send': async (_client, deps, rows) => {
    const ids = rows.map((r) => NotifyJobSchema.parse(r.payload).notificationId)
    await enqueueNotifications(deps.notify, deps.config, ids)
  },
}

/** Hands each topic its rows; returns the ids of the rows sent. */
async function dispatch(client: pg.PoolClient, deps: OutboxRelayDeps, rows: OutboxRow[]): Promise<string[]> {
  const done: string[] = []
  for (const [topic, handler] of Object.entries(TOPICS)) {
    const mine = rows.filter((r) => r.topic === topic)
    if (mine.length === 0) continue
    await handler(client, deps, mine)
    done.push(...mine.map((r) => r.id))
  }
  return done
}

/**
 * The outbox relay: moves committed outbox rows into BullMQ and marks them sent in the same
 * transaction. It polls every OUTBOX_POLL_MS (a partial-index look-up; PostgreSQL NOTIFY would
 * serialise every intake commit); while Redis is away the rows wait, and it backs off and retries.
 */
export function createOutboxRelay(deps: OutboxRelayDeps) {
  /** Moves every due row; returns how many were sent. */
  async function runOnce(): Promise<number> {
    let total = 0
    for (;;) {
      const sent = await withTransaction(deps.db, async (client) => {
        const rows = await lockPending(client, BATCH)
        if (rows.length === 0) return 0
        const done = await dispatch(client, deps, rows)
        const unknown = rows.filter((r) => !done.includes(r.id)).map((r) => r.id)
        if (unknown.length > 0) await markFailed(client, unknown, 'unknown topic', 60_000)
        await markSent(client, done)
        return done.length
      })
      total += sent
      if (sent < BATCH) return total
    }
  }

  const loop = pollLoop({ name: 'outbox relay', everyMs: deps.config.OUTBOX_POLL_MS, log: deps.log, runOnce })
  return {
    runOnce,
    async start() {
      loop.start()
    },
    stop: loop.stop,
  }
}
