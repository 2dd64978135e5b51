import type pg from 'pg'
import { type Flags, priorityFromFlags } from '../domain/priority.js'
import type { Language, RequestState } from '../domain/request-states.js'
import type { Conversation } from '../domain/sms-conversation.js'

type Client = pg.PoolClient

/**
 * Records an inbound MessageSid. Returns null the first time; for a repeated delivery, the reply
 * stored the first time (possibly '' for "no reply").
 */
export async function claimInbound(client: Client, messageSid: string): Promise<{ reply: string | null } | null> {
  const inserted = await client.query('INSERT INTO inbound_messages (message_sid) VALUES ($1) ON CONFLICT DO NOTHING', [
    messageSid,
  ])
  if (inserted.rowCount === 1) return null
  const { rows } = await client.query('SELECT reply FROM inbound_messages WHERE message_sid = $1', [messageSid])
  return { reply: rows[0]?.reply ?? null }
}

export async function saveInboundReply(client: Client, messageSid: string, reply: string): Promise<void> {
  await client.query('UPDATE inbound_messages SET reply = $2 WHERE message_sid = $1', [messageSid, reply])
}

/** The sender's conversation, locked for this transaction, with its idle time in seconds. */
export async function lockConversation(
  client: Client,
  phone: string,
): Promise<{ conversation: Conversation; idleSeconds: number } | null> {
  const { rows } = await client.query(
    `SELECT language, step, draft, extract(epoch FROM now() - updated_at)::float8 AS idle
     FROM sms_conversations WHERE phone = $1 FOR UPDATE`,
    [phone],
  )
  const row = rows[0]
  return row ? { conversation: { language: row.language, step: row.step, draft: row.draft }, idleSeconds: row.idle } : null
}

export async function saveConversation(client: Client, phone: string, conversation: Conversation | null): Promise<void> {
  if (conversation === null) {
    await client.query('DELETE FROM sms_conversations WHERE phone = $1', [phone])
    return
  }
  await client.query(
    `INSERT INTO sms_conversations (phone, language, step, draft, updated_at) VALUES ($1, $2, $3, $4, now())
     ON CONFLICT (phone) DO UPDATE SET language = $2, step = $3, draft = $4, updated_at = now()`,
    [phone, conversation.language, conversation.step, conversation.draft],
  )
}

/** The language a number uses: `chosen` when it sent LANG, otherwise guessed from its words. */
export async function senderLanguage(
  client: Client,
  phone: string,
): Promise<{ language: Language; chosen: boolean } | undefined> {
  const { rows } = await client.query('SELECT language, chosen FROM sms_senders WHERE phone = $1', [phone])
  return rows[0]
}

export async function setSenderLanguage(client: Client, phone: string, language: Language, chosen = true): Promise<void> {
  await client.query(
    `INSERT INTO sms_senders (phone, language, chosen) VALUES ($1, $2, $3)
     ON CONFLICT (phone) DO UPDATE SET language = $2, chosen = $3, updated_at = now()`,
    [phone, language, chosen],
  )
  await client.query('UPDATE sms_conversations SET language = $2 WHERE phone = $1', [phone, language])
}

export async function setOptOut(client: Client, phone: string, optedOut: boolean): Promise<void> {
  if (optedOut) await client.query('INSERT INTO opt_outs (phone) VALUES ($1) ON CONFLICT DO NOTHING', [phone])
  else await client.query('DELETE FROM opt_outs WHERE phone = $1', [phone])
}

export async function isOptedOut(client: Client | pg.Pool, phone: string): Promise<boolean> {
  const { rowCount } = await client.query('SELECT 1 FROM opt_outs WHERE phone = $1', [phone])
  return rowCount === 1
}

/** The requester's open requests, and those closed in the last week, newest first. */
export async function requestsOfRequester(client: Client, phone: string): Promise<{ reference: string; status: RequestState }[]> {
  const { rows } = await client.query(
    `SELECT r.reference, r.status FROM requests r JOIN request_requesters q ON q.request_id = r.id AND q.phone = $1
     WHERE r.status IN ('received', 'queued', 'claimed') OR r.updated_at > now() - interval '7 days'
     ORDER BY r.id DESC LIMIT 3`,
    [phone],
  )
  return rows
}

/**
 * Urgent needs sent after the request was made: the flags are added in every state; a request
 * still waiting (received, queued) gets the sooner priority with an outbox row, and its waiting
 * job follows (as when a linked requester adds a flag). Claimed or closed: the flags only.
 */
export async function addNeeds(client: Client, requestId: string, flags: Flags): Promise<void> {
  const { rows } = await client.query(
    `UPDATE requests SET flag_elderly = flag_elderly OR $2, flag_medical = flag_medical OR $3,
       flag_children = flag_children OR $4, flag_disability = flag_disability OR $5, updated_at = now()
     WHERE id = $1
     RETURNING status, priority, flag_elderly AS elderly, flag_medical AS medical, flag_children AS children,
               flag_disability AS disability`,
    [requestId, flags.elderly, flags.medical, flags.children, flags.disability],
  )
  const row = rows[0]
  if (!row) return
  const { status, priority: before, ...merged } = row
  const priority = Math.min(before, priorityFromFlags(merged))
  const raised = priority < before && (status === 'received' || status === 'queued')
  if (raised) {
    await client.query('UPDATE requests SET priority = $2 WHERE id = $1', [requestId, priority])
    await client.query(`INSERT INTO outbox (topic, request_id, payload) VALUES ('checkins.priority', $1, $2)`, [
      requestId,
      { priority },
    ])
  }
  await client.query(
    `INSERT INTO request_events (request_id, type, actor_type, data)
     VALUES ($1, 'needs_added', 'requester', jsonb_build_object('source', 'sms', 'raised', $2::boolean))`,
    [requestId, raised],
  )
}
