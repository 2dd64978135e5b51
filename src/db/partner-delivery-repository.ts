import type pg from 'pg'
import type { Db } from './pool.js'

type Queryable = Db | pg.PoolClient

export type Delivery = {
  id: string
  partnerId: string
  referralId: string
  event: string
  state: 'pending' | 'delivered' | 'dead'
  attempts: number
  lastStatus: number | null
  lastError: string | null
  createdAt: string
}
const COLUMNS = `id::text, partner_id::text AS "partnerId", referral_id::text AS "referralId", event, state, attempts,
  last_status AS "lastStatus", last_error AS "lastError", created_at AS "createdAt"`

export async function listDeliveries(db: Queryable, state: Delivery['state']): Promise<Delivery[]> {
  const { rows } = await db.query<Delivery>(
    `SELECT ${COLUMNS} FROM partner_deliveries WHERE state = $1 ORDER BY id DESC LIMIT 500`,
    [state],
  )
  return rows
}

export async function findDelivery(db: Queryable, id: string): Promise<Delivery | null> {
  const { rows } = await db.query<Delivery>(`SELECT ${COLUMNS} FROM partner_deliveries WHERE id = $1`, [id])
  return rows[0] ?? null
}

/** A dead delivery goes again from the start: pending, to be put in the queue anew. */
export async function replayDelivery(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE partner_deliveries SET state = 'pending', attempts = 0, enqueued_at = NULL, updated_at = now()
     WHERE id = $1 AND state = 'dead'`,
    [id],
  )
  return rowCount === 1
}

/** Deliveries not yet in the queue, locked for this transaction (several workers share them). */
export async function lockToEnqueue(client: pg.PoolClient, limit: number): Promise<{ id: string; replayed: boolean }[]> {
  const { rows } = await client.query(
    `SELECT id::text, updated_at > created_at AS replayed FROM partner_deliveries
     WHERE enqueued_at IS NULL AND state = 'pending' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  )
  return rows
}

export async function markEnqueued(client: pg.PoolClient, ids: string[]): Promise<void> {
  await client.query('UPDATE partner_deliveries SET enqueued_at = now() WHERE id = ANY($1::bigint[])', [ids])
}

/** The outcome of one attempt: delivered, or failed (and dead when it was the last). */
export async function recordAttempt(
  db: Queryable,
  a: { id: string; ok: boolean; status?: number; error?: string; dead?: boolean },
): Promise<void> {
  await db.query(
    `UPDATE partner_deliveries SET attempts = attempts + 1, last_status = $2, last_error = $3, updated_at = now(),
       state = CASE WHEN $4 THEN 'delivered' WHEN $5 THEN 'dead' ELSE state END,
       delivered_at = CASE WHEN $4 THEN now() END
     WHERE id = $1 AND state = 'pending'`,
    [a.id, a.status ?? null, a.error ?? null, a.ok, a.dead ?? false],
  )
}

/**
 * Pending deliveries already handed to the queue, in id order (the reconciler's page): their job
 * should exist. `ids` narrows the page to those (the reconciler reads them again before acting).
 */
export async function enqueuedPending(db: Queryable, page: { after: string; limit: number; ids?: string[] }): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id::text FROM partner_deliveries
     WHERE state = 'pending' AND enqueued_at IS NOT NULL AND id > $1::bigint AND ($3::bigint[] IS NULL OR id = ANY($3::bigint[]))
     ORDER BY id LIMIT $2`,
    [page.after, page.limit, page.ids ?? null],
  )
  return rows.map((r) => r.id)
}
