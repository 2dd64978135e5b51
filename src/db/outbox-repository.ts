import type pg from 'pg'
import type { Language } from '../domain/request-states.js'

export type OutboxRow = {
  id: string
  topic: string
  requestId: string | null
  priority: number | null
  language: Language | null
  payload: Record<string, unknown>
}

/**
 * Locks the next batch of unsent rows for this transaction. SKIP LOCKED lets several relays
 * (one per worker process) share the table without waiting on each other.
 */
export async function lockPending(client: pg.PoolClient, limit: number): Promise<OutboxRow[]> {
  const { rows } = await client.query<OutboxRow>(
    `SELECT o.id::text, o.topic, o.request_id::text AS "requestId", r.priority, r.requester_language AS language, o.payload
     FROM outbox o LEFT JOIN requests r ON r.id = o.request_id
     WHERE o.sent_at IS NULL AND o.available_at <= now()
     ORDER BY o.id LIMIT $1
     FOR UPDATE OF o SKIP LOCKED`,
    [limit],
  )
  return rows
}

export async function markSent(client: pg.PoolClient, ids: string[]): Promise<void> {
  await client.query('UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])', [ids])
}

/** Puts rows aside for a while after a failure that retrying may cure (no personal data in `error`). */
export async function markFailed(client: pg.PoolClient, ids: string[], error: string, delayMs: number): Promise<void> {
  await client.query(
    `UPDATE outbox SET attempts = attempts + 1, last_error = $2,
       available_at = now() + make_interval(secs => $3::double precision / 1000)
     WHERE id = ANY($1::bigint[])`,
    [ids, error, delayMs],
  )
}

/** Seconds the oldest unsent row has waited (0 when none): the relay's lag. */
export async function outboxLagSeconds(client: pg.Pool | pg.PoolClient): Promise<number> {
  const { rows } = await client.query<{ lag: number }>(
    'SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS lag FROM outbox WHERE sent_at IS NULL',
  )
  return rows[0]?.lag ?? 0
}
