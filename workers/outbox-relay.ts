import type { Queue } from 'bullmq'
import pg from 'pg'
import type { Logger } from 'pino'
import type { Config } from '../src/config.js'
import { lockPending, markFailed, markSent, type OutboxRow } from '../src/db/outbox-repository.js'
import { type Db, withTransaction } from '../src/db/pool.js'
import { markQueued } from '../src/db/request-repository.js'
import { type CheckinJob, CheckinJobSchema, checkinJobId } from '../src/queues/checkins.js'
import { type NotifyJob, NotifyJobSchema, notifyJobId, notifyJobOptions } from '../src/queues/notify.js'

const BATCH = 200
const MAX_BACKOFF_MS = 5000

export type OutboxRelayDeps = {
  config: Pick<Config, 'DATABASE_URL' | 'DATABASE_SCHEMA' | 'OUTBOX_POLL_MS' | 'NOTIFY_ATTEMPTS' | 'NOTIFY_BACKOFF_MS'>
  db: Db
  checkins: Queue<CheckinJob>
  notify: Queue<NotifyJob>
  log: Logger
}

type TopicHandler = (client: pg.PoolClient, deps: OutboxRelayDeps, rows: OutboxRow[]) => Promise<void>

// Each topic's jobs carry a job id derived from the row's subject, so a batch re-sent after a
// crash (jobs added, transaction not committed) adds nothing twice.
const TOPICS: Record<string, TopicHandler> = {
  'checkins.enqueue': async (client, deps, rows) => {
    const ids = rows.map((r) => String(r.requestId))
    await deps.checkins.addBulk(
      rows.map((r, i) => ({
        name: 'checkin',
        data: CheckinJobSchema.parse({ requestId: ids[i] }),
        opts: { jobId: checkinJobId(ids[i] as string), priority: r.priority ?? undefined },
      })),
    )
    await markQueued(client, ids)
  },
  'notify.send': async (_client, deps, rows) => {
    const options = notifyJobOptions(deps.config)
    await deps.notify.addBulk(
      rows.map((r) => {
        const data = NotifyJobSchema.parse(r.payload)
        return { name: 'notify', data, opts: { ...options, jobId: notifyJobId(data.notificationId) } }
      }),
    )
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
 * transaction. Woken by PostgreSQL NOTIFY, with polling as a fallback; while Redis is away the
 * rows wait, and the relay backs off and tries again.
 */
export function createOutboxRelay(deps: OutboxRelayDeps) {
  let listener: pg.Client | undefined
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let again = false
  let stopped = false
  let failures = 0

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

  function schedule(delayMs: number) {
    if (stopped) return
    clearTimeout(timer)
    timer = setTimeout(kick, delayMs)
  }

  function kick() {
    if (stopped) return
    if (running) {
      again = true
      return
    }
    running = runOnce()
      .then((n) => {
        if (failures > 0) deps.log.info({ sent: n }, 'outbox relay recovered')
        failures = 0
        schedule(deps.config.OUTBOX_POLL_MS)
      })
      .catch((err: Error) => {
        failures++
        deps.log.warn({ err, failures }, 'outbox relay failed; retrying')
        schedule(Math.min(MAX_BACKOFF_MS, 100 * 2 ** failures))
      })
      .finally(() => {
        running = undefined
        if (again && failures === 0) {
          again = false
          kick()
        }
      })
  }

  async function listen() {
    listener = new pg.Client({ connectionString: deps.config.DATABASE_URL })
    listener.on('error', (err) => {
      deps.log.warn({ err }, 'outbox listener lost; polling until it is back')
      listener = undefined
      if (!stopped) setTimeout(() => listen().catch(() => {}), 1000)
    })
    listener.on('notification', (msg) => {
      // While backing off from a failure, the scheduled retry comes first.
      if (msg.payload === deps.config.DATABASE_SCHEMA && failures === 0) kick()
    })
    await listener.connect()
    await listener.query('LISTEN bailanys_outbox')
  }

  return {
    runOnce,
    async start() {
      await listen().catch((err) => deps.log.warn({ err }, 'outbox listener unavailable; polling'))
      kick()
    },
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
      await listener?.end().catch(() => {})
    },
  }
}
