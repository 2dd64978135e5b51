import type { Db } from './pool.js'

/**
 * Blanks the personal data of requests closed more than `retentionDays` ago, with a `purged`
 * event each; the rows stay for the anonymous counts (state, city key, flags, times).
 */
export async function purgeClosedRequests(db: Db, retentionDays: number): Promise<number> {
  const { rowCount } = await db.query(
    `WITH purged AS (
       UPDATE requests SET requester_name = NULL, requester_phone = NULL, relative_name = NULL, relative_relation = NULL,
         relative_phone = NULL, relative_alt_phone = NULL, relative_city = NULL, relative_address = NULL,
         relative_notes = NULL, relative_name_key = NULL, relative_other_names = '{}', purged_at = now()
       WHERE closed_at < now() - make_interval(days => $1) AND purged_at IS NULL
       RETURNING id
     ), requesters AS (
       DELETE FROM request_requesters WHERE request_id IN (SELECT id FROM purged)
     ), attempts AS (
       UPDATE attempts SET message_to_requester = NULL, note = NULL WHERE request_id IN (SELECT id FROM purged)
     ), notes AS (
       UPDATE notifications SET to_phone = NULL, message = NULL, error_message = NULL WHERE request_id IN (SELECT id FROM purged)
     ), cases AS (
       -- A case passed on keeps its state and categories for the counts; the volunteer's note goes.
       UPDATE referrals SET note = NULL, purged_at = now() WHERE request_id IN (SELECT id FROM purged)
     ), case_notes AS (
       UPDATE referral_notes SET text = NULL WHERE referral_id IN (SELECT f.id FROM referrals f WHERE f.request_id IN (SELECT id FROM purged))
     )
     INSERT INTO request_events (request_id, type, actor_type) SELECT id, 'purged', 'system' FROM purged`,
    [retentionDays],
  )
  return rowCount ?? 0
}

/**
 * Deletes short-lived rows: SMS conversations idle for a day (or the idle limit, if longer),
 * the record of inbound messages and idempotency keys after a day, and the language choice of
 * senders silent for the retention period. Opt-outs are kept: STOP must be honoured for good.
 */
export async function purgeShortLived(db: Db, options: { idleMinutes: number; retentionDays: number }): Promise<void> {
  await db.query(`DELETE FROM sms_conversations WHERE updated_at < now() - make_interval(mins => greatest($1, 1440))`, [
    options.idleMinutes,
  ])
  await db.query(`DELETE FROM inbound_messages WHERE received_at < now() - interval '1 day'`)
  await db.query(`DELETE FROM idempotency_keys WHERE created_at < now() - interval '1 day'`)
  await db.query('DELETE FROM sms_senders WHERE updated_at < now() - make_interval(days => $1)', [options.retentionDays])
  // A voice call's state (the numbers typed) is needed only while the call lasts.
  await db.query(`DELETE FROM voice_calls WHERE updated_at < now() - interval '1 day'`)
}
