import type pg from 'pg'
import { audit } from '../db/account-repository.js'
import { lockRequest } from '../db/coordination-repository.js'
import {
  type Actor,
  insertReferral,
  lockOverdue,
  lockReferral,
  matchingPartners,
  moveReferral,
  type ReferralRow,
  referralEvent,
} from '../db/partner-referral-repository.js'
import { findPartner, type NeedCategory } from '../db/partner-repository.js'
import { type Db, withTransaction } from '../db/pool.js'
import { parseReference } from '../domain/reference.js'
import { CoordinationErrors, PartnerErrors } from '../errors.js'

/**
 * Cases carried on past the call: a family's needs offered to a partner that covers them, or a
 * relative nobody reached handed to a search partner. A case is offered to one partner at a time;
 * declined or left untouched it goes to the next match, and with none left to the coordinators.
 */

/** A webhook push is queued for partners that take cases by webhook (the worker sends it). */
async function queueDelivery(client: pg.PoolClient, referralId: string, partnerId: string, event: string): Promise<void> {
  await client.query(
    `INSERT INTO partner_deliveries (partner_id, referral_id, event)
     SELECT id, $2, $3 FROM partners WHERE id = $1 AND intake IN ('webhook', 'both') AND webhook_url IS NOT NULL`,
    [partnerId, referralId, event],
  )
}

async function offer(client: pg.PoolClient, referralId: string, partnerId: string | null, actor: Actor) {
  await referralEvent(client, { referralId, type: partnerId ? 'offered' : 'unassigned', partnerId, actor })
  if (partnerId) await queueDelivery(client, referralId, partnerId, 'referral.offered')
}

/**
 * Creates a referral of a request in the caller's transaction (the outcome's or a coordinator's
 * hand-off) and offers it to the best matching partner; null if the request has one of this kind.
 */
export async function createReferral(
  client: pg.PoolClient,
  r: {
    requestId: string
    kind: 'needs' | 'search'
    categories: readonly NeedCategory[]
    note?: string
    consent: boolean
    actor: Actor
  },
): Promise<{ id: string; partnerId: string | null } | null> {
  const { rows } = await client.query('SELECT city_key, requester_language FROM requests WHERE id = $1', [r.requestId])
  const request = rows[0] as { city_key: string; requester_language: string }
  const [best] = await matchingPartners(client, {
    categories: r.categories,
    cityKey: request.city_key,
    language: request.requester_language,
  })
  const id = await insertReferral(client, { ...r, partnerId: best?.id ?? null })
  if (!id) return null
  await referralEvent(client, { referralId: id, type: 'created', actor: r.actor, data: { kind: r.kind, consent: r.consent } })
  await offer(client, id, best?.id ?? null, r.actor)
  return { id, partnerId: best?.id ?? null }
}

/** Passes a locked referral on from its partner (declined, or silent too long) to the next match. */
export async function passOn(client: pg.PoolClient, row: ReferralRow, actor: Actor, why: 'declined' | 'timed_out') {
  const leaving = row.partnerId
  const exclude = [...row.declinedBy, ...(leaving ? [leaving] : [])]
  const [next] = await matchingPartners(client, {
    categories: row.categories,
    cityKey: row.cityKey,
    language: row.language,
    exclude,
  })
  await referralEvent(client, { referralId: row.id, type: why, partnerId: leaving, actor })
  await moveReferral(client, {
    id: row.id,
    state: next ? 'offered' : 'unassigned',
    partnerId: next?.id ?? null,
    declined: leaving,
  })
  await offer(client, row.id, next?.id ?? null, { type: 'system' })
}

/**
 * Offered cases nobody touched for `minutes` go to the next partner (or the coordinators, who
 * see them as escalated). Returns how many moved. Run by the partner-webhooks worker.
 */
export async function escalateReferrals(db: Db, minutes: number): Promise<number> {
  return withTransaction(db, async (client) => {
    const overdue = await lockOverdue(client, minutes)
    for (const row of overdue) await passOn(client, row, { type: 'system' }, 'timed_out')
    return overdue.length
  })
}

/**
 * A coordinator's choice: offer the case to this partner (even one that declined it before), or
 * take it back (`null`). A done case stays done.
 */
export async function assignReferral(db: Db, by: string, id: string, partnerId: string | null) {
  return withTransaction(db, async (client) => {
    const row = await lockReferral(client, id)
    if (!row) throw new PartnerErrors.REFERRAL_NOT_FOUND()
    if (row.state === 'done') throw new PartnerErrors.REFERRAL_STATE(row.state)
    if (partnerId && !(await findPartner(client, partnerId))?.active) throw new PartnerErrors.PARTNER_NOT_FOUND()
    await moveReferral(client, { id, state: partnerId ? 'offered' : 'unassigned', partnerId })
    await offer(client, id, partnerId, { type: 'coordinator', id: by })
    await audit(client, {
      accountId: by,
      action: 'referral.assigned',
      requestId: row.requestId,
      data: { referral: id, partner: partnerId },
    })
    return { id, state: partnerId ? ('offered' as const) : ('unassigned' as const), partnerId }
  })
}

/** The partners a coordinator may choose from for a case, best first (those that declined it last). */
export async function proposals(db: Db, id: string) {
  const { rows } = await db.query(
    `SELECT f.categories, r.city_key, r.requester_language, f.declined_by::text[] AS declined
     FROM referrals f JOIN requests r ON r.id = f.request_id WHERE f.id = $1`,
    [id],
  )
  const f = rows[0]
  if (!f) throw new PartnerErrors.REFERRAL_NOT_FOUND()
  const all = await matchingPartners(db, { categories: f.categories, cityKey: f.city_key, language: f.requester_language })
  return [...all.filter((p) => !f.declined.includes(p.id)), ...all.filter((p) => f.declined.includes(p.id))]
}

/**
 * Hands a request nobody could reach to a search partner (a coordinator, or the outcome itself
 * when SEARCH_HANDOFF_AUTO is on). The partner gets the PFIF record: the relative's name and
 * city as PFIF shares them, never a phone (the family never consented: nobody reached them).
 * In the caller's transaction when given one.
 */
async function handOffIn(client: pg.PoolClient, requestId: string, actor: Actor) {
  return createReferral(client, { requestId, kind: 'search', categories: ['search'], consent: false, actor })
}

/** What a volunteer passes on with `reached_needs_help` (schemas/partners.ts ReferralInput). */
export type ReferralOfOutcome = { categories: NeedCategory[]; note?: string; consent: boolean }

/** The outcome's hook, in its transaction: needs to a partner; an unreachable relative to search, when automatic. */
export async function carryOn(
  client: pg.PoolClient,
  o: { requestId: string; status: string; referral?: ReferralOfOutcome; volunteerId: string; autoHandOff: boolean },
): Promise<void> {
  if (o.status === 'reached_needs_help' && o.referral) {
    await createReferral(client, {
      requestId: o.requestId,
      kind: 'needs',
      ...o.referral,
      actor: { type: 'volunteer', id: o.volunteerId },
    })
  } else if (o.status === 'unreachable' && o.autoHandOff) {
    await handOffIn(client, o.requestId, { type: 'system' })
  }
}

export async function handOff(db: Db, actor: Actor, reference: string) {
  return withTransaction(db, async (client) => {
    const ref = parseReference(reference)
    const request = ref ? await lockRequest(client, ref) : null
    if (!request) throw new CoordinationErrors.REQUEST_NOT_FOUND()
    const { rows } = await client.query(
      'SELECT city_key AS "cityKey", requester_language AS language FROM requests WHERE id = $1',
      [request.id],
    )
    const locked = { ...request, ...rows[0] }
    if (locked.status !== 'unreachable') throw new PartnerErrors.NOT_UNREACHABLE(locked.status)
    // Not handed off to nobody: without a search partner the coordinator hears so, and nothing is written.
    const [partner] = await matchingPartners(client, {
      categories: ['search'],
      cityKey: locked.cityKey,
      language: locked.language,
    })
    if (!partner) throw new PartnerErrors.NO_SEARCH_PARTNER()
    const created = await handOffIn(client, locked.id, actor)
    if (!created) throw new PartnerErrors.REFERRAL_STATE('handed off already')
    if (actor.type === 'coordinator' && actor.id)
      await audit(client, {
        accountId: actor.id,
        action: 'referral.handed_off',
        requestId: locked.id,
        data: { referral: created.id },
      })
    return { id: created.id, state: 'offered' as const, partnerId: created.partnerId }
  })
}
