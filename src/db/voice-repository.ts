import type pg from 'pg'
import { type Flags, priorityFromFlags } from '../domain/priority.js'
import type { VoiceCall } from '../domain/voice-flow.js'
import type { StatusLine } from '../domain/voice-prompts.js'
import type { Db } from './pool.js'

type Client = pg.PoolClient
type Queryable = Db | Client

/** A call as stored: its state, the turn it waits for, and its request once made. */
export type StoredCall = VoiceCall & { turn: number; requestId: string | null; requestExisted: boolean }

const CALL_COLUMNS = `step, turn, retries, language, caller_phone AS "callerPhone", caller_can_sms AS "callerCanSms",
  has_requests AS "hasRequests", entered, relative_phone AS "relativePhone", place_id AS "placeId",
  request_id::text AS "requestId", request_existed AS "requestExisted"`

/** The call, locked for this transaction: Twilio's retries of one webhook wait for each other. */
export async function lockCall(client: Client, callSid: string): Promise<StoredCall | null> {
  const { rows } = await client.query(`SELECT ${CALL_COLUMNS} FROM voice_calls WHERE call_sid = $1 FOR UPDATE`, [callSid])
  return rows[0] ?? null
}

/** Stores a new call; false when the CallSid is known already (a retried first webhook). */
export async function insertCall(client: Client, callSid: string, call: VoiceCall): Promise<boolean> {
  const { rowCount } = await client.query(
    `INSERT INTO voice_calls (call_sid, step, language, caller_phone, caller_can_sms, has_requests)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
    [callSid, call.step, call.language, call.callerPhone, call.callerCanSms, call.hasRequests],
  )
  return rowCount === 1
}

export async function saveCall(client: Client, callSid: string, call: StoredCall): Promise<void> {
  await client.query(
    `UPDATE voice_calls SET step = $2, turn = $3, retries = $4, language = $5, caller_phone = $6, caller_can_sms = $7,
       entered = $8, relative_phone = $9, place_id = $10, request_id = $11, request_existed = $12, updated_at = now()
     WHERE call_sid = $1`,
    [
      callSid,
      call.step,
      call.turn,
      call.retries,
      call.language,
      call.callerPhone,
      call.callerCanSms,
      call.entered,
      call.relativePhone,
      call.placeId,
      call.requestId,
      call.requestExisted,
    ],
  )
}

/** A recording Twilio made on the call; kept once per RecordingSid, on the call's request if it has one. */
export async function saveRecording(
  client: Client,
  rec: { callSid: string; kind: 'place' | 'name'; sid: string; url?: string; duration?: number; requestId: string | null },
): Promise<void> {
  await client.query(
    `INSERT INTO voice_recordings (call_sid, kind, recording_sid, media_url, duration, request_id)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (recording_sid) DO NOTHING`,
    [rec.callSid, rec.kind, rec.sid, rec.url ?? null, rec.duration ?? null, rec.requestId],
  )
}

/**
 * Finishes a request the voice line made: its recordings join it; a place given only as a
 * recording is stored as unknown (NULL), not as an empty text; and a caller who cannot get an SMS
 * is not called back just to hear the reference the call has read out.
 */
export async function settleVoiceRequest(
  client: Client,
  made: { callSid: string; requestId: string; requesterPhone: string; toldOnCall: boolean },
): Promise<void> {
  await client.query('UPDATE voice_recordings SET request_id = $2 WHERE call_sid = $1 AND request_id IS NULL', [
    made.callSid,
    made.requestId,
  ])
  await client.query(`UPDATE requests SET relative_city = NULLIF(relative_city, '') WHERE id = $1`, [made.requestId])
  if (made.toldOnCall)
    await client.query(
      `UPDATE notifications SET status = 'suppressed', error_message = 'reference read out on the call', updated_at = now()
       WHERE request_id = $1 AND to_phone = $2 AND kind = 'received' AND channel = 'voice' AND status = 'pending'`,
      [made.requestId, made.requesterPhone],
    )
}

/**
 * Adds urgent needs given after the request was made: the flags join, the priority can only come
 * sooner (one set sooner by hand stays), and a waiting job follows through the outbox.
 */
export async function addFlags(client: Client, requestId: string, flags: Flags): Promise<void> {
  const { rows } = await client.query(
    `UPDATE requests SET flag_elderly = flag_elderly OR $2, flag_medical = flag_medical OR $3,
       flag_children = flag_children OR $4, flag_disability = flag_disability OR $5, updated_at = now()
     WHERE id = $1
     RETURNING priority, flag_elderly AS elderly, flag_medical AS medical, flag_children AS children, flag_disability AS disability`,
    [requestId, flags.elderly, flags.medical, flags.children, flags.disability],
  )
  if (!rows[0]) return
  const { priority: before, ...merged } = rows[0]
  const priority = Math.min(before, priorityFromFlags(merged))
  await client.query(
    `INSERT INTO request_events (request_id, type, actor_type, data) VALUES ($1, 'needs_added', 'requester', $2)`,
    [requestId, { source: 'voice', priority }],
  )
  if (priority >= before) return
  await client.query('UPDATE requests SET priority = $2 WHERE id = $1', [requestId, priority])
  await client.query(`INSERT INTO outbox (topic, request_id, payload) VALUES ('checkins.priority', $1, $2)`, [
    requestId,
    { priority },
  ])
}

export async function requestReference(db: Queryable, requestId: string): Promise<string | null> {
  const { rows } = await db.query('SELECT reference FROM requests WHERE id = $1', [requestId])
  return rows[0]?.reference ?? null
}

const RECENT = `FROM requests r JOIN request_requesters q ON q.request_id = r.id AND q.phone = $1
  WHERE r.status IN ('received', 'queued', 'claimed') OR r.updated_at > now() - interval '7 days'`

/** Whether the caller has requests worth a status line: open, or closed in the last week. */
export async function hasRecentRequests(db: Queryable, phone: string): Promise<boolean> {
  const { rows } = await db.query(`SELECT EXISTS (SELECT 1 ${RECENT}) AS some`, [phone])
  return rows[0].some
}

/** The caller's recent requests, newest first, each with the last message a volunteer left for them. */
export async function statusLines(db: Queryable, phone: string, limit = 3): Promise<StatusLine[]> {
  const { rows } = await db.query(
    `SELECT r.reference, r.status,
            (SELECT a.message_to_requester FROM attempts a WHERE a.request_id = r.id AND a.message_to_requester IS NOT NULL
             ORDER BY a.id DESC LIMIT 1) AS message
     ${RECENT} ORDER BY r.id DESC LIMIT $2`,
    [phone, limit],
  )
  return rows
}

/**
 * The caller's latest recording of `kind` on a request, for the volunteer holding its live lease.
 * The lease and its expiry are checked in the same query as the read. Null: no live lease; a
 * row with `sid` null: the lease is live but there is no such recording.
 */
export async function playableRecording(
  db: Queryable,
  ask: { reference: string; accountId: string; kind: 'place' | 'name' },
): Promise<{ requestId: string; sid: string | null } | null> {
  const { rows } = await db.query(
    `SELECT r.id::text AS "requestId", v.recording_sid AS sid
     FROM requests r JOIN leases l ON l.request_id = r.id AND l.account_id = $2 AND l.expires_at > now()
     LEFT JOIN LATERAL (
       SELECT recording_sid FROM voice_recordings
       WHERE request_id = r.id AND kind = $3 AND deleted_at IS NULL ORDER BY id DESC LIMIT 1
     ) v ON true
     WHERE r.reference = $1 AND r.status = 'claimed'`,
    [ask.reference, ask.accountId, ask.kind],
  )
  return rows[0] ?? null
}

/**
 * Recordings to delete at Twilio: those of requests whose personal data was purged, and those
 * of calls that made no request, a day on.
 */
export async function recordingsDue(db: Queryable, limit: number): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT v.recording_sid AS sid FROM voice_recordings v LEFT JOIN requests r ON r.id = v.request_id
     WHERE v.deleted_at IS NULL
       AND (r.purged_at IS NOT NULL OR (v.request_id IS NULL AND v.created_at < now() - interval '1 day'))
     ORDER BY v.id LIMIT $1`,
    [limit],
  )
  return rows.map((r) => r.sid)
}

export async function markRecordingsDeleted(db: Queryable, sids: string[]): Promise<void> {
  if (sids.length === 0) return
  await db.query('UPDATE voice_recordings SET deleted_at = now(), media_url = NULL WHERE recording_sid = ANY($1::text[])', [sids])
}
