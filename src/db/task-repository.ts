import type pg from 'pg'
import type { Language } from '../domain/request-states.js'
import type { Db } from './pool.js'

type Queryable = Db | pg.PoolClient

export type Outcome = 'reached_safe' | 'reached_needs_help' | 'no_answer' | 'busy' | 'wrong_number'

/** What a volunteer needs for the call; read only while they hold the lease (and audited). */
export type TaskDetails = {
  reference: string
  priority: number
  flags: { elderly: boolean; medical: boolean; children: boolean; disability: boolean }
  relative: {
    name: string | null
    /** How the requester named them ("мама", "анам"): the name may be missing, this says who to ask for. */
    relation: string | null
    otherNames: string[]
    phone: string | null
    altPhone: string | null
    city: string | null
    address: string | null
    notes: string | null
  }
  requester: { firstName: string | null; language: Language }
  requesters: number
  attempts: { at: string; outcome: string | null }[]
  /** What a voice caller recorded (src/db/voice-repository.ts plays it, under the same lease check). */
  recordings: ('place' | 'name')[]
}

/**
 * A family's details for the volunteer holding the request's live lease, or null. The lease and
 * its expiry are checked in the same query as the read: an expired lease shows nothing, whether
 * or not the sweeper has run.
 */
export async function taskDetails(db: Queryable, holder: { requestId: string; accountId: string }): Promise<TaskDetails | null> {
  const { rows } = await db.query(
    `SELECT r.reference, r.priority, r.flag_elderly, r.flag_medical, r.flag_children, r.flag_disability,
            r.relative_name, r.relative_relation, r.relative_other_names, r.relative_phone, r.relative_alt_phone, r.relative_city,
            r.relative_address, r.relative_notes, r.requester_name, r.requester_language,
            (SELECT count(*)::int FROM request_requesters q WHERE q.request_id = r.id) AS requesters,
            coalesce((SELECT json_agg(json_build_object('at', a.started_at, 'outcome', a.outcome) ORDER BY a.id)
                      FROM attempts a WHERE a.request_id = r.id AND a.finished_at IS NOT NULL), '[]') AS attempts,
            array(SELECT DISTINCT v.kind FROM voice_recordings v WHERE v.request_id = r.id AND v.deleted_at IS NULL) AS recordings
     FROM requests r JOIN leases l ON l.request_id = r.id AND l.account_id = $2 AND l.expires_at > now()
     WHERE r.id = $1 AND r.status = 'claimed'`,
    [holder.requestId, holder.accountId],
  )
  const r = rows[0]
  if (!r) return null
  return {
    reference: r.reference,
    priority: r.priority,
    flags: { elderly: r.flag_elderly, medical: r.flag_medical, children: r.flag_children, disability: r.flag_disability },
    relative: {
      name: r.relative_name,
      relation: r.relative_relation,
      otherNames: r.relative_other_names,
      phone: r.relative_phone,
      altPhone: r.relative_alt_phone,
      city: r.relative_city,
      address: r.relative_address,
      notes: r.relative_notes,
    },
    // Only the first name: the volunteer needs to say who asked, not who they are.
    requester: {
      firstName: r.requester_name ? (r.requester_name.split(/\s+/)[0] ?? null) : null,
      language: r.requester_language,
    },
    requesters: r.requesters,
    attempts: r.attempts,
    recordings: r.recordings,
  }
}

/**
 * Records an attempt's outcome and moves the request on, in the caller's transaction:
 * reached_safe / reached_needs_help / wrong_number close it; no_answer / busy requeue it until
 * the attempts run out, then it is `unreachable`. Returns the request's new state.
 */
export async function recordOutcome(
  client: pg.PoolClient,
  rec: {
    requestId: string
    accountId: string
    outcome: Outcome
    needs: string[]
    messageToRequester?: string
    note?: string
    maxAttempts: number
  },
): Promise<{ status: 'queued' | 'reached_safe' | 'reached_needs_help' | 'wrong_number' | 'unreachable'; attempts: number }> {
  await client.query(
    `UPDATE attempts SET outcome = $3, needs = $4, message_to_requester = $5, note = $6, finished_at = now()
     WHERE request_id = $1 AND account_id = $2 AND finished_at IS NULL`,
    [rec.requestId, rec.accountId, rec.outcome, rec.needs, rec.messageToRequester ?? null, rec.note ?? null],
  )
  const retry = rec.outcome === 'no_answer' || rec.outcome === 'busy'
  const { rows } = await client.query(
    `UPDATE requests SET attempts = attempts + 1, updated_at = now(),
       status = CASE WHEN NOT $2 THEN $3 WHEN attempts + 1 >= $4 THEN 'unreachable' ELSE 'queued' END,
       closed_at = CASE WHEN NOT $2 OR attempts + 1 >= $4 THEN now() END
     WHERE id = $1 RETURNING status, attempts`,
    [rec.requestId, retry, rec.outcome, rec.maxAttempts],
  )
  const { status, attempts } = rows[0]
  await client.query(
    `INSERT INTO request_events (request_id, type, from_status, to_status, actor_type, actor_id, data)
     VALUES ($1, 'outcome', 'claimed', $2, 'volunteer', $3, jsonb_build_object('outcome', $4::text, 'attempt', $5::int, 'needs', $6::text[]))`,
    [rec.requestId, status, rec.accountId, retry && status === 'unreachable' ? 'unreachable' : rec.outcome, attempts, rec.needs],
  )
  await client.query('DELETE FROM leases WHERE request_id = $1', [rec.requestId])
  return { status, attempts }
}

/**
 * Records the progress of a bridged call on its attempt. A call SID names one call: a callback
 * giving the SID of another attempt's call (garbage, even if signed) leaves this one's alone
 * rather than breaking the unique index with a 500 that Twilio would retry.
 */
export async function recordCall(
  db: Queryable,
  update: { attemptId: string; callSid?: string; callStatus?: string; dialStatus?: string; duration?: number },
) {
  await db.query(
    `UPDATE attempts SET call_sid = CASE WHEN EXISTS (SELECT 1 FROM attempts o WHERE o.call_sid = $2 AND o.id <> $1)
       THEN call_sid ELSE coalesce($2, call_sid) END, call_status = coalesce($3, call_status),
       dial_status = coalesce($4, dial_status), call_duration = coalesce($5, call_duration) WHERE id = $1`,
    [update.attemptId, update.callSid ?? null, update.callStatus ?? null, update.dialStatus ?? null, update.duration ?? null],
  )
}

export async function openAttemptId(db: Queryable, requestId: string, accountId: string): Promise<string | null> {
  const { rows } = await db.query(
    'SELECT id::text FROM attempts WHERE request_id = $1 AND account_id = $2 AND finished_at IS NULL ORDER BY id DESC LIMIT 1',
    [requestId, accountId],
  )
  return rows[0]?.id ?? null
}
