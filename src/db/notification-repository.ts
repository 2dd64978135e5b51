import type pg from 'pg'
import type { Language } from '../domain/request-states.js'
import type { Db } from './pool.js'

type Queryable = Db | pg.PoolClient

export type NotificationKind =
  | 'received'
  | 'reached_safe'
  | 'reached_needs_help'
  | 'wrong_number'
  | 'unreachable'
  | 'cancelled'
  | 'message'
  | 'merged'
  | 'referred'
  | 'found'
export type NotificationStatus = 'pending' | 'sending' | 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'suppressed'

/** Statuses after which nothing is sent again for a notification. */
export const FINAL_STATUSES: readonly NotificationStatus[] = [
  'queued',
  'sent',
  'delivered',
  'undelivered',
  'failed',
  'suppressed',
]
const ORDER: Record<NotificationStatus, number> = {
  pending: 0,
  sending: 1,
  queued: 2,
  sent: 3,
  delivered: 4,
  undelivered: 4,
  failed: 4,
  suppressed: 4,
}

export type Notification = {
  id: string
  requestId: string
  reference: string
  kind: NotificationKind
  channel: 'sms' | 'voice'
  language: Language
  toPhone: string | null
  message: string | null
  status: NotificationStatus
  twilioSid: string | null
  sendingSince: Date | null
}

/**
 * Writes the notification of an event to each of the request's requesters (or one of them), in
 * their own language and channel, with the outbox rows, in the caller's transaction. The dedupe
 * key (request, kind, recipient) makes a second write of the same event a no-op. A volunteer's
 * message rides along: read out on a call, and its own SMS (kind 'message') for SMS requesters,
 * so that each SMS stays within two segments.
 */
export async function addNotification(
  db: Queryable,
  note: { requestId: string; kind: NotificationKind; phone?: string; message?: string },
): Promise<void> {
  await db.query(
    `WITH n AS (
       INSERT INTO notifications (request_id, kind, channel, language, to_phone, message, dedupe_key)
       SELECT q.request_id, k.kind, q.notify_via, q.language, q.phone, $4, 'request:' || q.request_id || ':' || k.kind || ':' || q.phone
       FROM request_requesters q
       CROSS JOIN (VALUES ($2::text), ('message')) AS k (kind)
       WHERE q.request_id = $1 AND q.phone IS NOT NULL AND ($3::text IS NULL OR q.phone = $3)
         AND (k.kind = $2 OR ($4::text IS NOT NULL AND q.notify_via = 'sms'))
       ORDER BY k.kind = 'message'
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING id, request_id
     )
     INSERT INTO outbox (topic, request_id, payload)
     SELECT 'notify.send', request_id, jsonb_build_object('notificationId', id::text) FROM n ORDER BY id`,
    [note.requestId, note.kind, note.phone ?? null, note.message ?? null],
  )
}

export async function lockNotification(client: pg.PoolClient, id: string): Promise<Notification | null> {
  const { rows } = await client.query(
    `SELECT n.id::text, n.request_id::text AS "requestId", r.reference, n.kind, n.channel, n.language,
            n.to_phone AS "toPhone", n.message, n.status, n.twilio_sid AS "twilioSid", n.sending_since AS "sendingSince"
     FROM notifications n JOIN requests r ON r.id = n.request_id WHERE n.id = $1 FOR UPDATE OF n`,
    [id],
  )
  return rows[0] ?? null
}

export async function findNotification(db: Queryable, id: string): Promise<Notification | null> {
  const { rows } = await db.query(
    `SELECT n.id::text, n.request_id::text AS "requestId", r.reference, n.kind, n.channel, n.language,
            n.to_phone AS "toPhone", n.message, n.status, n.twilio_sid AS "twilioSid", n.sending_since AS "sendingSince"
     FROM notifications n JOIN requests r ON r.id = n.request_id WHERE n.id = $1`,
    [id],
  )
  return rows[0] ?? null
}

/** Marks the start of a send attempt: if the worker dies now, the next attempt checks Twilio first. */
export async function markSending(db: Queryable, id: string): Promise<void> {
  await db.query(
    `UPDATE notifications SET status = 'sending', sending_since = coalesce(sending_since, now()),
       attempts = attempts + 1, updated_at = now() WHERE id = $1`,
    [id],
  )
}

/** Twilio accepted it: the SID is recorded before the job completes. */
export async function markAccepted(db: Queryable, id: string, sid: string, providerStatus: string): Promise<void> {
  await db.query(
    `UPDATE notifications SET twilio_sid = $2, provider_status = $3, updated_at = now(),
       status = CASE WHEN status IN ('pending', 'sending') THEN 'queued' ELSE status END
     WHERE id = $1`,
    [id, sid, providerStatus],
  )
}

/** A definite refusal: the attempt did not reach the requester and may be tried again. */
export async function markRetryable(db: Queryable, id: string, error: { code?: number; message: string }): Promise<void> {
  await db.query(
    `UPDATE notifications SET status = 'pending', sending_since = NULL, error_code = $2, error_message = $3, updated_at = now()
     WHERE id = $1 AND status = 'sending'`,
    [id, error.code ?? null, error.message],
  )
}

export async function markFinal(
  db: Queryable,
  id: string,
  outcome: { status: 'failed' | 'suppressed'; code?: number; message?: string },
): Promise<void> {
  await db.query(
    `UPDATE notifications SET status = $2, error_code = coalesce($3, error_code), error_message = coalesce($4, error_message),
       updated_at = now() WHERE id = $1 AND status IN ('pending', 'sending')`,
    [id, outcome.status, outcome.code ?? null, outcome.message ?? null],
  )
}

/**
 * Applies a Twilio status callback. Callbacks can arrive out of order, so a status only moves
 * forward (queued → sent → delivered / undelivered / failed).
 */
export async function applyProviderStatus(
  db: Queryable,
  update: { id: string; sid: string; status: NotificationStatus; providerStatus: string; errorCode?: number },
): Promise<boolean> {
  const earlier = (Object.keys(ORDER) as NotificationStatus[]).filter((s) => ORDER[s] < ORDER[update.status])
  const { rowCount } = await db.query(
    `UPDATE notifications SET status = $2, provider_status = $3, error_code = coalesce($4, error_code),
       twilio_sid = coalesce(twilio_sid, $5), updated_at = now()
     WHERE id = $1 AND status = ANY($6::text[])`,
    [update.id, update.status, update.providerStatus, update.errorCode ?? null, update.sid, earlier],
  )
  return rowCount === 1
}
