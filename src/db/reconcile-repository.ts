import type pg from 'pg'
import type { Language } from '../domain/request-states.js'
import type { Db } from './pool.js'

type Queryable = Db | pg.PoolClient

/** An open request nobody holds, which must therefore have a checkins job. */
export type UnheldRequest = {
  id: string
  language: Language
  priority: number
  /** Set when the request is back in the queue after an unanswered call: its outcome's time… */
  retryFrom: Date | null
  /** …and which attempt that was (the retry delay depends on it). */
  attempt: number | null
}

// Two keys: the schema, so that services (and test files) sharing one database do not block
// each other; hashtext gives the int4 pg_try_advisory_lock wants.
const LOCK_KEYS = `hashtext('bailanys.reconciler'), hashtext(current_schema())`

/**
 * Takes the reconciler's session-level advisory lock on this connection, without waiting: one
 * worker process reconciles at a time, and no transaction stays open while it does.
 */
export async function tryReconcileLock(client: pg.PoolClient): Promise<boolean> {
  const { rows } = await client.query(`SELECT pg_try_advisory_lock(${LOCK_KEYS}) AS locked`)
  return rows[0]?.locked === true
}

export async function releaseReconcileLock(client: pg.PoolClient): Promise<void> {
  await client.query(`SELECT pg_advisory_unlock(${LOCK_KEYS})`)
}

/**
 * Open requests without a lease and without a pending enqueue in the outbox (the relay will add
 * those), in id order after `after`, or among `ids` only (a re-check just before acting). The
 * latest event that put the request in the queue tells whether it waits out a retry delay.
 * The outbox sub-select runs once (a hashed NOT IN over the small partial index of unsent rows).
 */
export async function unheldRequests(
  db: Queryable,
  page: { after: string; limit: number; ids?: string[] },
): Promise<UnheldRequest[]> {
  const { rows } = await db.query<UnheldRequest>(
    `SELECT r.id::text, r.requester_language AS language, r.priority,
            e.created_at AS "retryFrom", (e.data->>'attempt')::int AS attempt
     FROM requests r
     LEFT JOIN LATERAL (
       SELECT type, created_at, data FROM request_events
       WHERE request_id = r.id AND to_status = 'queued' ORDER BY id DESC LIMIT 1
     ) e ON e.type = 'outcome'
     WHERE r.status IN ('received', 'queued', 'claimed') AND r.id > $1::bigint
       AND ($3::bigint[] IS NULL OR r.id = ANY($3::bigint[]))
       AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.request_id = r.id)
       AND r.id NOT IN (SELECT request_id FROM outbox
                        WHERE sent_at IS NULL AND request_id IS NOT NULL AND topic IN ('checkins.enqueue', 'checkins.requeue'))
     ORDER BY r.id LIMIT $2`,
    [page.after, page.limit, page.ids ?? null],
  )
  return rows
}

/** The ids among `ids` whose request is still open (a job for any other has nothing to do). */
export async function openRequestIds(db: Queryable, ids: string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id::text FROM requests WHERE id = ANY($1::bigint[]) AND status IN ('received', 'queued', 'claimed')`,
    [ids],
  )
  return new Set(rows.map((r) => r.id))
}

/**
 * Notifications not sent yet whose job may be gone: pending, or `sending` without a change for
 * `sendingGraceMs` (a send may be in flight that long; the notify worker looks in Twilio before
 * sending a `sending` one again). Rows still waiting in the outbox are the relay's.
 */
export async function unsentNotifications(
  db: Queryable,
  page: { after: string; limit: number; sendingGraceMs: number; ids?: string[] },
): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT n.id::text FROM notifications n
     WHERE n.status IN ('pending', 'sending') AND n.id > $1::bigint
       AND ($4::bigint[] IS NULL OR n.id = ANY($4::bigint[]))
       AND (n.status = 'pending' OR n.updated_at < now() - make_interval(secs => $3::double precision / 1000))
       AND n.id NOT IN (SELECT (payload->>'notificationId')::bigint FROM outbox
                        WHERE sent_at IS NULL AND topic = 'notify.send' AND payload ? 'notificationId')
     ORDER BY n.id LIMIT $2`,
    [page.after, page.limit, page.sendingGraceMs, page.ids ?? null],
  )
  return rows.map((r) => r.id)
}

/** What one reconciler run changed. */
export type ReconcileCounts = { requeued: number; delayed: number; removed: number; notifications: number; schedules: number }

/** Adds a run's counts to the running totals (and stamps the run, even when it changed nothing). */
export async function recordReconcileRun(db: Queryable, counts: ReconcileCounts): Promise<void> {
  await db.query(
    `INSERT INTO reconciler_totals (name, n)
     VALUES ('runs', 1), ('requeued', $1), ('delayed', $2), ('removed', $3), ('notifications', $4), ('schedules', $5)
     ON CONFLICT (name) DO UPDATE SET n = reconciler_totals.n + EXCLUDED.n, updated_at = now()`,
    [counts.requeued, counts.delayed, counts.removed, counts.notifications, counts.schedules],
  )
}

export type ReconcileTotals = Partial<Record<keyof ReconcileCounts | 'runs', number>> & { lastRunAt: number | null }

/** The totals for /metrics; `lastRunAt` in seconds since the epoch (null before the first run). */
export async function readReconcileTotals(db: Queryable): Promise<ReconcileTotals> {
  const { rows } = await db.query<{ name: keyof ReconcileCounts | 'runs'; n: number; at: number }>(
    'SELECT name, n::float8 AS n, extract(epoch FROM updated_at)::float8 AS at FROM reconciler_totals',
  )
  const totals: ReconcileTotals = { lastRunAt: null }
  for (const row of rows) {
    totals[row.name] = row.n
    if (row.name === 'runs') totals.lastRunAt = row.at
  }
  return totals
}
