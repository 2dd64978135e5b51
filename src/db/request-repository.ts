import type pg from 'pg'
import { nameKey } from '../domain/names.js'
import { type Flags, priorityFromFlags } from '../domain/priority.js'
import type { Language, RequestState } from '../domain/request-states.js'
import type { Db } from './pool.js'

type Queryable = Db | pg.PoolClient

/** A new request as the intake hands it over: phones already in E.164. */
export type NewRequest = {
  reference: string
  /** Where it came from; an SMS conversation already told the requester the reference. */
  source: 'api' | 'web' | 'sms' | 'voice'
  requester: { name?: string; phone: string; language: Language; notifyVia: 'sms' | 'voice' }
  /** An SMS may give no name (NULL: "not given, ask"); `relation` is how the requester named them ("мама"). */
  relative: {
    name?: string
    relation?: string
    phone: string
    altPhone?: string
    city: string
    cityKey: string
    address?: string
    notes?: string
  }
  flags: Flags
  priority: number
}

export type RequestRef = { id: string; reference: string; status: RequestState }

// One statement writes the request, its requester, its first event, its outbox row and (unless
// it came by SMS, whose reply already gave the reference) the "received" notification: atomic,
// one round trip. ON CONFLICT DO NOTHING covers both the open-relative index (the relative is
// already being checked on) and a reference collision.
const INSERT_REQUEST = `
WITH r AS (
  INSERT INTO requests (reference, requester_name, requester_phone, requester_language, notify_via,
    relative_name, relative_phone, relative_alt_phone, relative_city, city_key, relative_address,
    relative_notes, flag_elderly, flag_medical, flag_children, flag_disability, priority, source, relative_name_key,
    relative_relation)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
  ON CONFLICT DO NOTHING
  RETURNING id, reference, status
), q AS (
  INSERT INTO request_requesters (request_id, phone, name, language, notify_via)
  SELECT id, $3, $2, $4, $5 FROM r
), e AS (
  INSERT INTO request_events (request_id, type, to_status, actor_type, data)
  SELECT id, 'received', 'received', 'requester', jsonb_build_object('source', $18::text) FROM r
), o AS (
  INSERT INTO outbox (topic, request_id)
  SELECT 'checkins.enqueue', id FROM r
), n AS (
  INSERT INTO notifications (request_id, kind, channel, language, to_phone, dedupe_key)
  SELECT id, 'received', $5, $4, $3, 'request:' || id || ':received:' || $3::text
  FROM r WHERE $18::text <> 'sms'
  RETURNING id, request_id
), no AS (
  INSERT INTO outbox (topic, request_id, payload)
  SELECT 'notify.send', request_id, jsonb_build_object('notificationId', id::text) FROM n
)
SELECT id::text, reference, status FROM r`

/** Inserts a request with its requester, event, outbox row and notification; null on a conflict. */
export async function insertRequest(db: Queryable, req: NewRequest): Promise<RequestRef | null> {
  const { requester: q, relative: r, flags: f } = req
  const { rows } = await db.query<RequestRef>(INSERT_REQUEST, [
    req.reference,
    q.name ?? null,
    q.phone,
    q.language,
    q.notifyVia,
    r.name ?? null,
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
    r.name ? nameKey(r.name) : null,
    r.relation ?? null,
  ])
  return rows[0] ?? null
}

/** The open request about this relative, locked, with whether this requester is on it already. */
export async function lockOpenRequestFor(
  db: Queryable,
  pair: { requesterPhone: string; relativePhone: string },
): Promise<(RequestRef & { linked: boolean }) | null> {
  const { rows } = await db.query(
    `SELECT r.id::text, r.reference, r.status,
            EXISTS (SELECT 1 FROM request_requesters q WHERE q.request_id = r.id AND q.phone = $1) AS linked
     FROM requests r WHERE r.relative_phone = $2 AND r.status IN ('received', 'queued', 'claimed')
     FOR UPDATE`,
    [pair.requesterPhone, pair.relativePhone],
  )
  return rows[0] ?? null
}

/**
 * Links another requester to the open request about the same relative: their own notifications,
 * the relative's details merged (the longer notes kept, a different name recorded, flags added),
 * and an event. Returns whether the priority rose, so the queued job can follow.
 */
export async function linkRequester(
  db: Queryable,
  requestId: string,
  req: Omit<NewRequest, 'reference'>,
): Promise<{ priority: number; raised: boolean }> {
  const { requester: q, relative: r, flags: f } = req
  await db.query(
    `INSERT INTO request_requesters (request_id, phone, name, language, notify_via) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT DO NOTHING`,
    [requestId, q.phone, q.name ?? null, q.language, q.notifyVia],
  )
  const { rows } = await db.query(
    `UPDATE requests SET
       relative_notes = CASE WHEN length(coalesce($2, '')) > length(coalesce(relative_notes, '')) THEN $2 ELSE relative_notes END,
       relative_other_names = CASE WHEN $3::text IS NULL OR relative_name IS NULL OR lower($3) = lower(relative_name)
                                     OR lower($3) = ANY (SELECT lower(n) FROM unnest(relative_other_names) n)
                                   THEN relative_other_names ELSE relative_other_names || $3::text END,
       -- A request made without a name (an SMS may give none) takes the first one a sibling gives.
       relative_name = coalesce(relative_name, $3), relative_name_key = coalesce(relative_name_key, $10),
       relative_relation = coalesce(relative_relation, $11),
       relative_alt_phone = coalesce(relative_alt_phone, $4),
       relative_address = coalesce(relative_address, $5),
       flag_elderly = flag_elderly OR $6, flag_medical = flag_medical OR $7,
       flag_children = flag_children OR $8, flag_disability = flag_disability OR $9,
       updated_at = now()
     WHERE id = $1
     RETURNING priority, flag_elderly AS elderly, flag_medical AS medical, flag_children AS children, flag_disability AS disability`,
    [
      requestId,
      r.notes ?? null,
      r.name ?? null,
      r.altPhone ?? null,
      r.address ?? null,
      f.elderly,
      f.medical,
      f.children,
      f.disability,
      r.name ? nameKey(r.name) : null,
      r.relation ?? null,
    ],
  )
  const { priority: before, ...merged } = rows[0]
  // The merged flags may call for a sooner priority; one set by hand that is sooner still stays.
  const priority = Math.min(before, priorityFromFlags(merged))
  if (priority < before) await db.query('UPDATE requests SET priority = $2 WHERE id = $1', [requestId, priority])
  await db.query(
    `INSERT INTO request_events (request_id, type, actor_type, data)
     VALUES ($1, 'requester_linked', 'requester', jsonb_build_object('source', $2::text, 'language', $3::text))`,
    [requestId, req.source, q.language],
  )
  return { priority, raised: priority < before }
}

export async function findRequestById(db: Queryable, id: string): Promise<RequestRef | null> {
  const { rows } = await db.query<RequestRef>('SELECT id::text, reference, status FROM requests WHERE id = $1', [id])
  return rows[0] ?? null
}

export type RequesterView = {
  reference: string
  status: RequestState
  createdAt: Date
  updatedAt: Date
  latestOutcome: { outcome: string; at: Date } | null
  /** Calls with a recorded outcome (the count the retry policy and MAX_CALL_ATTEMPTS use). */
  attempts: number
  /** The volunteer's words to the requester on the latest call with an outcome; never their note or who they are. */
  messageToRequester: string | null
  /** Set while the request waits out a retry delay: the unanswered call's outcome time and its number. */
  retry: { from: Date; attempt: number } | null
}

/** What a requester may see of their request; null unless `phone` is one of its requesters. */
export async function findForRequester(db: Queryable, reference: string, phone: string): Promise<RequesterView | null> {
  // The retry is the latest event that put the request back in the queue, when that was an
  // outcome (a released or expired lease requeues it at once): the reconciler reads it the same way.
  const { rows } = await db.query(
    `SELECT r.reference, r.status, r.created_at, r.updated_at, r.attempts,
            o.data->>'outcome' AS outcome, o.created_at AS outcome_at, m.message_to_requester AS message,
            e.created_at AS retry_from, (e.data->>'attempt')::int AS retry_attempt
     FROM requests r
     JOIN request_requesters q ON q.request_id = r.id AND q.phone = $2
     LEFT JOIN LATERAL (
       SELECT data, created_at FROM request_events
       WHERE request_id = r.id AND type = 'outcome' ORDER BY id DESC LIMIT 1
     ) o ON true
     LEFT JOIN LATERAL (
       SELECT message_to_requester FROM attempts
       WHERE request_id = r.id AND outcome IS NOT NULL ORDER BY id DESC LIMIT 1
     ) m ON true
     LEFT JOIN LATERAL (
       SELECT type, created_at, data FROM request_events
       WHERE request_id = r.id AND to_status = 'queued' ORDER BY id DESC LIMIT 1
     ) e ON e.type = 'outcome' AND r.status = 'queued'
     WHERE r.reference = $1`,
    [reference, phone],
  )
  const row = rows[0]
  if (!row) return null
  return {
    reference: row.reference,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    latestOutcome: row.outcome ? { outcome: row.outcome, at: row.outcome_at } : null,
    attempts: row.attempts,
    messageToRequester: row.message ?? null,
    retry: row.retry_from && row.retry_attempt ? { from: row.retry_from, attempt: row.retry_attempt } : null,
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
export async function openRequestsOf(db: Queryable, requesterPhone: string): Promise<(RequestRef & { requesters: number })[]> {
  const { rows } = await db.query(
    `SELECT r.id::text, r.reference, r.status,
            (SELECT count(*)::int FROM request_requesters a WHERE a.request_id = r.id) AS requesters
     FROM requests r JOIN request_requesters q ON q.request_id = r.id AND q.phone = $1
     WHERE r.status IN ('received', 'queued', 'claimed') ORDER BY r.id`,
    [requesterPhone],
  )
  return rows
}

/** Takes one requester off a request others still wait on (their own "cancel"). */
export async function unlinkRequester(db: Queryable, requestId: string, phone: string): Promise<void> {
  await db.query('DELETE FROM request_requesters WHERE request_id = $1 AND phone = $2', [requestId, phone])
  await db.query(`INSERT INTO request_events (request_id, type, actor_type) VALUES ($1, 'requester_unlinked', 'requester')`, [
    requestId,
  ])
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
     ), lease AS (
       -- A volunteer holding it loses it in the same statement: nobody reads a cancelled family.
       DELETE FROM leases l USING changed c WHERE l.request_id = c.id
     ), attempt AS (
       UPDATE attempts a SET finished_at = now() FROM changed c WHERE a.request_id = c.id AND a.finished_at IS NULL
     )
     INSERT INTO request_events (request_id, type, from_status, to_status, actor_type, actor_id, data)
     SELECT id, 'cancelled', from_status, 'cancelled', $2, $3, jsonb_build_object('reason', $4::text) FROM changed`,
    [change.requestId, change.actorType, change.actorId ?? null, change.reason ?? null],
  )
  return rowCount === 1
}
