import type pg from 'pg'
import type { z } from 'zod'
import { addNotification } from '../db/notification-repository.js'
import {
  type Actor,
  caseOfPartner,
  casesOfPartner,
  lockReferral,
  moveReferral,
  type PartnerCase,
  referralEvent,
} from '../db/partner-referral-repository.js'
import { findPartner } from '../db/partner-repository.js'
import { type Db, withTransaction } from '../db/pool.js'
import { PartnerErrors } from '../errors.js'
import type { PfifNoteBody } from '../schemas/partners.js'
import { passOn } from './referrals.js'

/** Who is calling the partner API: a partner's key, or a partner account's session. */
export type PartnerCaller = { partnerId: string; accountId?: string; keyId?: string }

const actorOf = (c: PartnerCaller): Actor => ({ type: 'partner', id: c.accountId ?? `key:${c.keyId}` })

/**
 * Every read of a case by a partner is an audit event, one per case shown: the account when a
 * person read it, else the key (in `data`).
 */
export async function auditPartnerRead(db: Db | pg.PoolClient, caller: PartnerCaller, action: string, cases: { id: string }[]) {
  if (cases.length === 0) return
  await db.query(
    `INSERT INTO audit_events (account_id, action, request_id, data)
     SELECT $1, $2, f.request_id, jsonb_build_object('referral', f.id::text, 'partner', $3::text, 'key', $4::text)
     FROM referrals f WHERE f.id = ANY($5::bigint[])`,
    [caller.accountId ?? null, action, caller.partnerId, caller.keyId ?? null, cases.map((c) => c.id)],
  )
}

export async function listCases(db: Db, caller: PartnerCaller, options: { open?: boolean } = {}): Promise<PartnerCase[]> {
  const cases = await casesOfPartner(db, caller.partnerId, options)
  await auditPartnerRead(db, caller, 'partner.case.listed', cases)
  return cases
}

/** One case of the caller's; 404 for a case of another partner's, exactly as for none. */
export async function getCase(db: Db, caller: PartnerCaller, id: string): Promise<PartnerCase> {
  const found = await caseOfPartner(db, caller.partnerId, id)
  if (!found) throw new PartnerErrors.REFERRAL_NOT_FOUND()
  await auditPartnerRead(db, caller, 'partner.case.read', [found])
  return found
}

/** Runs a change on a case referred to the caller, locked; the case as it is afterwards. */
async function change(
  db: Db,
  caller: PartnerCaller,
  id: string,
  fn: (client: pg.PoolClient, row: NonNullable<Awaited<ReturnType<typeof lockReferral>>>) => Promise<void>,
): Promise<PartnerCase | { id: string; state: 'declined' }> {
  return withTransaction(db, async (client) => {
    const row = await lockReferral(client, id, caller.partnerId)
    if (!row) throw new PartnerErrors.REFERRAL_NOT_FOUND()
    await fn(client, row)
    const after = await caseOfPartner(client, caller.partnerId, id)
    if (after) await auditPartnerRead(client, caller, 'partner.case.read', [after])
    return after ?? { id, state: 'declined' as const }
  })
}

/**
 * Accepting a needs case tells the requester it was passed on, in their language and channel;
 * the partner's name rides along only if the partner agreed to be named.
 */
export async function acceptCase(db: Db, caller: PartnerCaller, id: string) {
  return change(db, caller, id, async (client, row) => {
    if (row.state !== 'offered') throw new PartnerErrors.REFERRAL_STATE(row.state)
    await moveReferral(client, { id, state: 'accepted', partnerId: caller.partnerId })
    await referralEvent(client, { referralId: id, type: 'accepted', partnerId: caller.partnerId, actor: actorOf(caller) })
    if (row.kind !== 'needs') return
    const partner = await findPartner(client, caller.partnerId)
    await addNotification(client, {
      requestId: row.requestId,
      kind: 'referred',
      message: partner?.mayBeNamed ? partner.name : undefined,
    })
  })
}

/** Declined, the case goes to the next matching partner, or back to the coordinators. */
export async function declineCase(db: Db, caller: PartnerCaller, id: string) {
  return change(db, caller, id, async (client, row) => {
    if (row.state !== 'offered' && row.state !== 'accepted') throw new PartnerErrors.REFERRAL_STATE(row.state)
    await passOn(client, row, actorOf(caller), 'declined')
  })
}

export async function doneCase(db: Db, caller: PartnerCaller, id: string) {
  return change(db, caller, id, async (client, row) => {
    if (row.state !== 'accepted') throw new PartnerErrors.REFERRAL_STATE(row.state)
    await moveReferral(client, { id, state: 'done', partnerId: caller.partnerId })
    await referralEvent(client, { referralId: id, type: 'done', partnerId: caller.partnerId, actor: actorOf(caller) })
  })
}

/** A PFIF note found the person if it says so and does not say they are missing or dead. */
const saysFound = (n: z.output<typeof PfifNoteBody>) => n.found && (n.status === undefined || n.status === 'believed_alive')

/**
 * A search partner's PFIF note on its case. A note that found the person closes the unreachable
 * request as `reached_safe` (event `found`, the partner as actor), closes the case and tells the
 * requester. The same note_record_id again changes nothing.
 */
export async function postNote(db: Db, caller: PartnerCaller, id: string, n: z.output<typeof PfifNoteBody>) {
  return withTransaction(db, async (client) => {
    const row = await lockReferral(client, id, caller.partnerId)
    if (!row) throw new PartnerErrors.REFERRAL_NOT_FOUND()
    if (row.kind !== 'search') throw new PartnerErrors.NOT_A_SEARCH()
    if (row.state === 'offered') throw new PartnerErrors.REFERRAL_STATE(row.state)
    const found = saysFound(n)
    const { rowCount } = await client.query(
      `INSERT INTO referral_notes (referral_id, partner_id, note_record_id, status, author_made_contact, found, text, source_date)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (partner_id, note_record_id) DO NOTHING`,
      [id, caller.partnerId, n.note_record_id, n.status ?? null, n.author_made_contact, found, n.text ?? null, n.source_date],
    )
    if (rowCount === 0) return { id, found, closed: false, duplicate: true }
    const actor = actorOf(caller)
    await referralEvent(client, {
      referralId: id,
      type: 'note',
      partnerId: caller.partnerId,
      actor,
      data: { status: n.status ?? null, found },
    })
    if (!found) return { id, found, closed: false, duplicate: false }
    const closed = await client.query(
      `UPDATE requests SET status = 'reached_safe', updated_at = now(), closed_at = now() WHERE id = $1 AND status = 'unreachable'`,
      [row.requestId],
    )
    if (closed.rowCount === 1) {
      await client.query(
        `INSERT INTO request_events (request_id, type, from_status, to_status, actor_type, actor_id, data)
         VALUES ($1, 'found', 'unreachable', 'reached_safe', 'partner', $2, jsonb_build_object('referral', $3::text))`,
        [row.requestId, actor.id, id],
      )
      await addNotification(client, { requestId: row.requestId, kind: 'found' })
    }
    if (row.state !== 'done') {
      await moveReferral(client, { id, state: 'done', partnerId: caller.partnerId })
      await referralEvent(client, { referralId: id, type: 'done', partnerId: caller.partnerId, actor })
    }
    return { id, found, closed: closed.rowCount === 1, duplicate: false }
  })
}
