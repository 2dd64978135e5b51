import type pg from 'pg'
import type { RequestState } from '../domain/request-states.js'
import { addNotification } from './notification-repository.js'
import type { Db } from './pool.js'

type Queryable = Db | pg.PoolClient

export type RequestFilters = {
  state?: RequestState
  city?: string
  language?: 'kk' | 'ru' | 'en'
  priority?: number
  minAgeMinutes?: number
  maxAgeMinutes?: number
  reference?: string
  cursor?: string
  limit: number
}

/** A page of requests, newest first, without personal data; `nextCursor` continues it. */
export async function listRequests(db: Queryable, f: RequestFilters) {
  const { rows } = await db.query(
    `SELECT r.id::text, r.reference, r.status, r.priority, r.requester_language AS language, r.city_key AS "cityKey",
            r.flag_elderly AS elderly, r.flag_medical AS medical, r.flag_children AS children, r.flag_disability AS disability,
            r.attempts, r.source, r.created_at AS "createdAt", r.updated_at AS "updatedAt", r.escalated_at IS NOT NULL AS escalated,
            (SELECT count(*)::int FROM request_requesters q WHERE q.request_id = r.id) AS requesters
     FROM requests r
     WHERE ($1::text IS NULL OR r.status = $1) AND ($2::text IS NULL OR r.city_key = $2)
       AND ($3::text IS NULL OR r.requester_language = $3) AND ($4::int IS NULL OR r.priority = $4)
       AND ($5::int IS NULL OR r.created_at <= now() - make_interval(mins => $5))
       AND ($6::int IS NULL OR r.created_at >= now() - make_interval(mins => $6))
       AND ($7::text IS NULL OR r.reference LIKE $7 || '%') AND ($8::bigint IS NULL OR r.id < $8)
     ORDER BY r.id DESC LIMIT $9`,
    [
      f.state ?? null,
      f.city ?? null,
      f.language ?? null,
      f.priority ?? null,
      f.minAgeMinutes ?? null,
      f.maxAgeMinutes ?? null,
      f.reference ?? null,
      f.cursor ?? null,
      f.limit + 1,
    ],
  )
  const items = rows.slice(0, f.limit).map(({ elderly, medical, children, disability, ...r }) => ({
    ...r,
    flags: { elderly, medical, children, disability },
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  }))
  return { items, nextCursor: rows.length > f.limit ? (items.at(-1)?.id ?? null) : null }
}

/** Everything about one request for a coordinator: details, requesters, attempts, notifications, history. */
export async function requestForCoordinator(db: Queryable, reference: string) {
  const { rows } = await db.query('SELECT * FROM requests WHERE reference = $1', [reference])
  const r = rows[0]
  if (!r) return null
  const [requesters, attempts, notifications, events] = await Promise.all([
    db.query(
      'SELECT phone, name, language, notify_via AS "notifyVia", created_at AS "linkedAt" FROM request_requesters WHERE request_id = $1 ORDER BY created_at',
      [r.id],
    ),
    db.query(
      `SELECT a.id::text, a.account_id::text AS "volunteerId", a.outcome, a.needs, a.message_to_requester AS "messageToRequester", a.note,
              a.call_status AS "callStatus", a.dial_status AS "dialStatus", a.call_duration AS "callDuration", a.started_at AS "startedAt", a.finished_at AS "finishedAt"
       FROM attempts a WHERE a.request_id = $1 ORDER BY a.id`,
      [r.id],
    ),
    db.query(
      `SELECT id::text, kind, channel, language, status, error_code AS "errorCode", created_at AS "createdAt", updated_at AS "updatedAt"
       FROM notifications WHERE request_id = $1 ORDER BY id`,
      [r.id],
    ),
    db.query(
      `SELECT type, from_status AS "from", to_status AS "to", actor_type AS "actorType", actor_id AS "actorId", data, created_at AS "at"
       FROM request_events WHERE request_id = $1 ORDER BY id`,
      [r.id],
    ),
  ])
  return {
    id: String(r.id),
    reference: r.reference,
    status: r.status as RequestState,
    source: r.source,
    priority: r.priority,
    escalatedAt: r.escalated_at,
    attempts: r.attempts,
    flags: { elderly: r.flag_elderly, medical: r.flag_medical, children: r.flag_children, disability: r.flag_disability },
    relative: {
      name: r.relative_name,
      otherNames: r.relative_other_names,
      phone: r.relative_phone,
      altPhone: r.relative_alt_phone,
      city: r.relative_city,
      cityKey: r.city_key,
      address: r.relative_address,
      notes: r.relative_notes,
    },
    requesters: requesters.rows,
    callAttempts: attempts.rows,
    notifications: notifications.rows,
    events: events.rows,
    createdAt: r.created_at,
    closedAt: r.closed_at,
    purgedAt: r.purged_at,
  }
}

/** Locks a request by reference for a coordinator's action. */
export async function lockRequest(
  client: pg.PoolClient,
  reference: string,
): Promise<{ id: string; status: RequestState; priority: number } | null> {
  const { rows } = await client.query('SELECT id::text, status, priority FROM requests WHERE reference = $1 FOR UPDATE', [
    reference,
  ])
  return rows[0] ?? null
}

export async function coordinatorEvent(
  db: Queryable,
  e: { requestId: string; type: string; actorId: string; from?: string; to?: string; data?: object },
) {
  await db.query(
    `INSERT INTO request_events (request_id, type, from_status, to_status, actor_type, actor_id, data) VALUES ($1, $2, $3, $4, 'coordinator', $5, $6)`,
    [e.requestId, e.type, e.from ?? null, e.to ?? null, e.actorId, e.data ?? {}],
  )
}

export async function setPriority(client: pg.PoolClient, requestId: string, priority: number): Promise<void> {
  await client.query('UPDATE requests SET priority = $2, updated_at = now() WHERE id = $1', [requestId, priority])
  await client.query(`INSERT INTO outbox (topic, request_id, payload) VALUES ('checkins.priority', $1, $2)`, [
    requestId,
    { priority },
  ])
}

/** Puts a closed request back in the queue with a fresh job (the old one is finished). */
export async function reopen(client: pg.PoolClient, requestId: string): Promise<void> {
  await client.query(`UPDATE requests SET status = 'queued', closed_at = NULL, updated_at = now() WHERE id = $1`, [requestId])
  await client.query(`INSERT INTO outbox (topic, request_id) VALUES ('checkins.requeue', $1)`, [requestId])
}

/**
 * Merges a duplicate into another open request: its requesters join the survivor (and are told
 * the surviving reference), its relative's name is kept among the other names, and it closes as
 * `duplicate`.
 */
export async function mergeInto(
  client: pg.PoolClient,
  m: { fromId: string; intoId: string; actorId: string; fromStatus: RequestState },
) {
  const moved = await client.query(
    `INSERT INTO request_requesters (request_id, phone, name, language, notify_via)
     SELECT $2, phone, name, language, notify_via FROM request_requesters WHERE request_id = $1 AND phone IS NOT NULL
     ON CONFLICT DO NOTHING RETURNING phone`,
    [m.fromId, m.intoId],
  )
  await client.query(
    `UPDATE requests s SET relative_other_names = s.relative_other_names || array_remove(ARRAY[d.relative_name], NULL) || d.relative_other_names,
       relative_notes = CASE WHEN length(coalesce(d.relative_notes, '')) > length(coalesce(s.relative_notes, '')) THEN d.relative_notes ELSE s.relative_notes END,
       flag_elderly = s.flag_elderly OR d.flag_elderly, flag_medical = s.flag_medical OR d.flag_medical,
       flag_children = s.flag_children OR d.flag_children, flag_disability = s.flag_disability OR d.flag_disability,
       priority = least(s.priority, d.priority), updated_at = now()
     FROM requests d WHERE s.id = $2 AND d.id = $1`,
    [m.fromId, m.intoId],
  )
  await client.query(`UPDATE requests SET status = 'duplicate', closed_at = now(), updated_at = now() WHERE id = $1`, [m.fromId])
  await coordinatorEvent(client, {
    requestId: m.fromId,
    type: 'merged',
    actorId: m.actorId,
    from: m.fromStatus,
    to: 'duplicate',
    data: { into: m.intoId },
  })
  await coordinatorEvent(client, {
    requestId: m.intoId,
    type: 'merged_in',
    actorId: m.actorId,
    data: { from: m.fromId, requesters: moved.rowCount },
  })
  for (const { phone } of moved.rows) await addNotification(client, { requestId: m.intoId, kind: 'merged', phone })
}

/**
 * Open requests that may be about the same person although their phones differ: the relative's
 * name equal across Kazakh, Russian and Latin spellings, in the same city. Suggested, never merged.
 */
export async function duplicateSuggestions(db: Queryable) {
  const { rows } = await db.query(
    `SELECT city_key AS "cityKey", array_agg(reference ORDER BY id) AS references
     FROM requests WHERE status IN ('received', 'queued', 'claimed') AND relative_name_key IS NOT NULL AND relative_name_key <> ''
     GROUP BY city_key, relative_name_key HAVING count(*) > 1 ORDER BY min(id) LIMIT 200`,
  )
  return rows
}
