import type pg from 'pg'
import type { Flags } from '../domain/priority.js'
import type { Language, RequestState } from '../domain/request-states.js'
import type { Db } from './pool.js'

type Queryable = Db | pg.PoolClient

/** A new request as the intake hands it over: phones already in E.164. */
export type NewRequest = {
  reference: string
  /** Where it came from; an SMS conversation already told the requester the reference. */
  source: 'api' | 'web' | 'sms'
  requester: { name?: string; phone: string; language: Language; notifyVia: 'sms' | 'voice' }
  relative: { name: string; phone: string; altPhone?: string; city: string; cityKey: string; address?: string; notes?: string }
  flags: Flags
  priority: number
}

export type RequestRef = { id: string; reference: string; status: RequestState }

// One statement writes the request, its first event, its outbox row and (unless it came by SMS,
// whose reply already gave the reference) the "received" notification: atomic, one round trip.
// ON CONFLICT DO NOTHING covers both the open-pair index (dedup) and a reference collision.
const INSERT_REQUEST = `
WITH r AS (
  INSERT INTO requests (reference, requester_name, requester_phone, requester_language, notify_via,
    relative_name, relative_phone, relative_alt_phone, relative_city, city_key, relative_address,
    relative_notes, flag_elderly, flag_medical, flag_children, flag_disability, priority, source)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
  ON CONFLICT DO NOTHING
  RETURNING id, reference, status, notify_via, requester_language, requester_phone
), e AS (
  INSERT INTO request_events (request_id, type, to_status, actor_type, data)
  SELECT id, 'received', 'received', 'requester', jsonb_build_object('source', $18::text) FROM r
), o AS (
  INSERT INTO outbox (topic, request_id)
  SELECT 'checkins.enqueue', id FROM r
), n AS (
  INSERT INTO notifications (request_id, kind, channel, language, to_phone, dedupe_key)
  SELECT id, 'received', notify_via, requester_language, requester_phone, 'request:' || id || ':received'
  FROM r WHERE $18::text <> 'sms'
  RETURNING id, request_id
), no AS (
  INSERT INTO outbox (topic, request_id, payload)
  SELECT 'notify.send', request_id, jsonb_build_object('notificationId', id::text) FROM n
)
SELECT id::text, reference, status FROM r`

/** Inserts a request with its event and outbox row; null when it conflicted with another row. */
export async function insertRequest(db: Queryable, req: NewRequest): Promise<RequestRef | null> {
  const { requester: q, relative: r, flags: f } = req
  const { rows } = await db.query<RequestRef>(INSERT_REQUEST, [
    req.reference,
    q.name ?? null,
    q.phone,
    q.language,
    q.notifyVia,
    r.name,
    r.phone,
    r.altPhone ?? null,
    r.city,
    r.cityKey,
    r.address ?? null,
    r.notes ?? null,
    f.elderly,
    f.medical,
    f.children,
    f.disability,
    req.priority,
    req.source,
  ])
  return rows[0] ?? null
}

/** The open request of this requester about this relative, if there is one. */
export async function findOpenRequest(
  db: Queryable,
  pair: { requesterPhone: string; relativePhone: string },
): Promise<RequestRef | null> {
  const { rows } = await db.query<RequestRef>(
    `SELECT id::text, reference, status FROM requests
     WHERE requester_phone = $1 AND relative_phone = $2 AND status IN ('received', 'queued', 'claimed')`,
    [pair.requesterPhone, pair.relativePhone],
  )
  return rows[0] ?? null
}

export async function findRequestById(db: Queryable, id: string): Promise<RequestRef | null> {
  const { rows } = await db.query<RequestRef>('SELECT id::text, reference, status FROM requests WHERE id = $1', [id])
  return rows[0] ?? null
}

export type RequesterView = {
  reference: string
  status: RequestState
  requesterPhone: string | null
  createdAt: Date
  updatedAt: Date
  latestOutcome: { outcome: string; at: Date } | null
}

/** What a requester may see of their request, looked up by reference. */
export async function findForRequester(db: Queryable, reference: string): Promise<RequesterView | null> {
  const { rows } = await db.query(
    `SELECT r.reference, r.status, r.requester_phone, r.created_at, r.updated_at,
            o.data->>'outcome' AS outcome, o.created_at AS outcome_at
     FROM requests r
     LEFT JOIN LATERAL (
       SELECT data, created_at FROM request_events
       WHERE request_id = r.id AND type = 'outcome' ORDER BY id DESC LIMIT 1
     ) o ON true
     WHERE r.reference = $1`,
    [reference],
  )
  const row = rows[0]
  if (!row) return null
  return {
    reference: row.reference,
    status: row.status,
    requesterPhone: row.requester_phone,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    latestOutcome: row.outcome ? { outcome: row.outcome, at: row.outcome_at } : null,
  }
}

/**
 * Moves requests from `received` to `queued` once their job is in the queue, with an event for
 * each that actually moved (a request already past `received` is left alone).
 */
export async function markQueued(client: pg.PoolClient, requestIds: string[]): Promise<void> {
  await client.query(
    `WITH moved AS (
       UPDATE requests SET status = 'queued', updated_at = now()
       WHERE id = ANY($1::bigint[]) AND status = 'received'
       RETURNING id
     )
     INSERT INTO request_events (request_id, type, from_status, to_status, actor_type)
     SELECT id, 'queued', 'received', 'queued', 'system' FROM moved`,
    [requestIds],
  )
}

/** The requester's open requests, oldest first. */
export async function openRequestsOf(db: Queryable, requesterPhone: string): Promise<RequestRef[]> {
  const { rows } = await db.query<RequestRef>(
    `SELECT id::text, reference, status FROM requests
     WHERE requester_phone = $1 AND status IN ('received', 'queued', 'claimed') ORDER BY id`,
    [requesterPhone],
  )
  return rows
}

/** Cancels an open request with an event naming who did it; false when it was not open. */
export async function cancelRequest(
  db: Queryable,
  change: { requestId: string; actorType: 'requester' | 'coordinator' | 'system'; actorId?: string; reason?: string },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `WITH before AS (
       SELECT id, status FROM requests WHERE id = $1 AND status IN ('received', 'queued', 'claimed') FOR UPDATE
     ), changed AS (
       UPDATE requests r SET status = 'cancelled', closed_at = now(), updated_at = now()
       FROM before b WHERE r.id = b.id RETURNING r.id, b.status AS from_status
     )
     INSERT INTO request_events (request_id, type, from_status, to_status, actor_type, actor_id, data)
     SELECT id, 'cancelled', from_status, 'cancelled', $2, $3, jsonb_build_object('reason', $4::text) FROM changed`,
    [change.requestId, change.actorType, change.actorId ?? null, change.reason ?? null],
  )
  return rowCount === 1
}
