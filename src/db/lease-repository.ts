import type pg from 'pg'
import type { Language, RequestState } from '../domain/request-states.js'
import type { Db } from './pool.js'

type Queryable = Db | pg.PoolClient

export type Lease = { requestId: string; accountId: string; queue: Language; jobId: string; token: string; expiresAt: Date }
const LEASE_COLUMNS = `l.request_id::text AS "requestId", l.account_id::text AS "accountId", l.queue, l.job_id AS "jobId",
  l.token, l.expires_at AS "expiresAt"`

/**
 * Takes a request for a volunteer whose claim BullMQ just granted. A request still `claimed` by
 * someone else lost that lease (BullMQ only hands out a job whose lock is gone): the old lease is
 * ended with an event. Returns null when the request is closed: its job is then discarded.
 */
export async function takeRequest(
  client: pg.PoolClient,
  claim: { requestId: string; accountId: string; queue: Language; jobId: string; token: string; leaseSeconds: number },
): Promise<{ expiresAt: Date; attemptId: string } | null> {
  const { rows } = await client.query(
    `SELECT r.status, l.account_id::text AS holder FROM requests r LEFT JOIN leases l ON l.request_id = r.id
     WHERE r.id = $1 FOR UPDATE OF r`,
    [claim.requestId],
  )
  const current = rows[0] as { status: RequestState; holder: string | null } | undefined
  if (!current || !['received', 'queued', 'claimed'].includes(current.status)) return null
  if (current.holder) await endLease(client, { requestId: claim.requestId, event: 'lease_expired', actorType: 'system' })
  await client.query(`UPDATE requests SET status = 'claimed', updated_at = now() WHERE id = $1`, [claim.requestId])
  const lease = await client.query(
    `INSERT INTO leases (request_id, account_id, queue, job_id, token, expires_at)
     VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6)) RETURNING expires_at`,
    [claim.requestId, claim.accountId, claim.queue, claim.jobId, claim.token, claim.leaseSeconds],
  )
  const attempt = await client.query('INSERT INTO attempts (request_id, account_id) VALUES ($1, $2) RETURNING id::text', [
    claim.requestId,
    claim.accountId,
  ])
  await client.query(
    `INSERT INTO request_events (request_id, type, from_status, to_status, actor_type, actor_id)
     VALUES ($1, 'claimed', $2, 'claimed', 'volunteer', $3)`,
    [claim.requestId, current.status === 'claimed' ? 'queued' : current.status, claim.accountId],
  )
  return { expiresAt: lease.rows[0].expires_at, attemptId: attempt.rows[0].id }
}

/**
 * Ends a lease without an outcome (released, expired, ended by a coordinator, volunteer suspended):
 * the request goes back to `queued` with an event, the open attempt is closed — one statement, so
 * all of it or none. `token` ends only that holder's lease; `onlyIfExpired` only a lease past its
 * time (the sweeper must not end a lease a heartbeat has just renewed).
 */
export async function endLease(
  db: Queryable,
  end: {
    requestId: string
    event: 'released' | 'lease_expired' | 'lease_ended'
    actorType: 'volunteer' | 'coordinator' | 'system'
    actorId?: string
    token?: string
    onlyIfExpired?: boolean
  },
): Promise<Lease | null> {
  const { rows } = await db.query(
    `WITH req AS (
       -- The request first, then its lease: the order every other writer (claim, outcome,
       -- cancel) takes them in, so two of them never deadlock.
       SELECT id FROM requests WHERE id = $1 FOR UPDATE
     ), l AS (
       DELETE FROM leases l USING req WHERE l.request_id = req.id AND ($5::text IS NULL OR l.token = $5)
         AND (NOT $6 OR l.expires_at < now())
       RETURNING ${LEASE_COLUMNS}
     ), finished AS (
       UPDATE attempts a SET finished_at = now() FROM l
       WHERE a.request_id = $1 AND a.account_id = l."accountId"::bigint AND a.finished_at IS NULL
     ), moved AS (
       UPDATE requests r SET status = 'queued', updated_at = now() FROM l
       WHERE r.id = $1 AND r.status = 'claimed' RETURNING r.id, l."accountId"
     ), event AS (
       INSERT INTO request_events (request_id, type, from_status, to_status, actor_type, actor_id, data)
       SELECT $1, $2, 'claimed', 'queued', $3, $4, jsonb_build_object('volunteer', moved."accountId") FROM moved
     )
     SELECT * FROM l`,
    [end.requestId, end.event, end.actorType, end.actorId ?? null, end.token ?? null, end.onlyIfExpired ?? false],
  )
  return (rows[0] as Lease | undefined) ?? null
}

/**
 * The live lease a volunteer holds on a request (by reference), locked for this transaction if
 * asked. A lease past its time is no lease, whether or not the sweeper has tidied it yet.
 */
export async function findLease(
  db: Queryable,
  find: { reference: string; accountId: string; lock?: boolean },
): Promise<Lease | null> {
  const { rows } = await db.query(
    `SELECT ${LEASE_COLUMNS} FROM leases l JOIN requests r ON r.id = l.request_id
     WHERE r.reference = $1 AND l.account_id = $2 AND l.expires_at > now() ${find.lock ? 'FOR UPDATE OF l' : ''}`,
    [find.reference, find.accountId],
  )
  return rows[0] ?? null
}

/** The live lease a volunteer holds, if any (an expired one is not handed back). */
export async function leaseOfAccount(db: Queryable, accountId: string): Promise<(Lease & { reference: string }) | null> {
  const { rows } = await db.query(
    `SELECT ${LEASE_COLUMNS}, r.reference FROM leases l JOIN requests r ON r.id = l.request_id
     WHERE l.account_id = $1 AND l.expires_at > now() ORDER BY l.expires_at DESC LIMIT 1`,
    [accountId],
  )
  return rows[0] ?? null
}

export async function leasesOfAccount(db: Queryable, accountId: string): Promise<Lease[]> {
  const { rows } = await db.query(`SELECT ${LEASE_COLUMNS} FROM leases l WHERE l.account_id = $1`, [accountId])
  return rows
}

/** Renews a live lease by `seconds` from now; null when it had already run out (or is another's). */
export async function extendLease(
  db: Queryable,
  lease: { requestId: string; token: string; seconds: number },
): Promise<Date | null> {
  const { rows } = await db.query(
    `UPDATE leases SET expires_at = now() + make_interval(secs => $3)
     WHERE request_id = $1 AND token = $2 AND expires_at > now() RETURNING expires_at`,
    [lease.requestId, lease.token, lease.seconds],
  )
  return rows[0]?.expires_at ?? null
}

/** Leases past their time, for the sweeper to check against their BullMQ locks. */
export async function overdueLeases(db: Queryable): Promise<Lease[]> {
  const { rows } = await db.query(`SELECT ${LEASE_COLUMNS} FROM leases l WHERE l.expires_at < now() LIMIT 500`)
  return rows
}

/** Whoever holds a request's lease, by reference. */
export async function findLeaseOf(db: Queryable, reference: string): Promise<Lease | null> {
  const { rows } = await db.query(
    `SELECT ${LEASE_COLUMNS} FROM leases l JOIN requests r ON r.id = l.request_id WHERE r.reference = $1`,
    [reference],
  )
  return rows[0] ?? null
}
