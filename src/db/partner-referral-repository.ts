import type pg from 'pg'
import type { NeedCategory } from './partner-repository.js'
import type { Db } from './pool.js'

type Queryable = Db | pg.PoolClient

export type ReferralKind = 'needs' | 'search'
export type ReferralState = 'offered' | 'accepted' | 'done' | 'unassigned'
export type Actor = { type: 'system' | 'volunteer' | 'coordinator' | 'partner'; id?: string }

/** A referral as its partner sees it: the family's name and phone only with their consent. */
export type PartnerCase = {
  id: string
  kind: ReferralKind
  state: ReferralState
  reference: string
  categories: NeedCategory[]
  note: string | null
  city: string | null
  family: { name: string | null; phone: string | null } | null
  offeredAt: string
  updatedAt: string
}

export type ReferralRow = {
  id: string
  requestId: string
  kind: ReferralKind
  state: ReferralState
  partnerId: string | null
  categories: NeedCategory[]
  declinedBy: string[]
  cityKey: string
  language: string
}

/**
 * Active partners that take this case, best first: one of its categories, its city (or
 * everywhere), the request's language; the least busy first. Partners in `exclude` are skipped.
 */
export async function matchingPartners(
  db: Queryable,
  c: { categories: readonly string[]; cityKey: string; language: string; exclude?: string[] },
): Promise<{ id: string; name: string }[]> {
  const { rows } = await db.query(
    `SELECT p.id::text, p.name FROM partners p
     WHERE p.active AND p.categories && $1::text[] AND (p.everywhere OR $2 = ANY(p.regions)) AND $3 = ANY(p.languages)
       AND NOT p.id = ANY($4::bigint[])
     ORDER BY (SELECT count(*) FROM referrals r WHERE r.partner_id = p.id AND r.state IN ('offered', 'accepted')), p.id
     LIMIT 20`,
    [c.categories, c.cityKey, c.language, c.exclude ?? []],
  )
  return rows
}

export async function referralEvent(
  db: Queryable,
  e: { referralId: string; type: string; partnerId?: string | null; actor: Actor; data?: object },
): Promise<void> {
  await db.query(
    'INSERT INTO referral_events (referral_id, type, partner_id, actor_type, actor_id, data) VALUES ($1, $2, $3, $4, $5, $6)',
    [e.referralId, e.type, e.partnerId ?? null, e.actor.type, e.actor.id ?? null, e.data ?? {}],
  )
}

/** A new referral of a request, offered to `partnerId` (or with the coordinators when null); null if it exists already. */
export async function insertReferral(
  client: pg.PoolClient,
  r: {
    requestId: string
    kind: ReferralKind
    partnerId: string | null
    categories: readonly string[]
    note?: string
    consent: boolean
  },
): Promise<string | null> {
  const { rows } = await client.query(
    `INSERT INTO referrals (request_id, kind, state, partner_id, categories, note, consent)
     VALUES ($1, $2, CASE WHEN $3::bigint IS NULL THEN 'unassigned' ELSE 'offered' END, $3, $4, $5, $6)
     ON CONFLICT (request_id, kind) DO NOTHING RETURNING id::text`,
    [r.requestId, r.kind, r.partnerId, r.categories, r.note ?? null, r.consent],
  )
  return rows[0]?.id ?? null
}

const ROW = `f.id::text, f.request_id::text AS "requestId", f.kind, f.state, f.partner_id::text AS "partnerId", f.categories,
  f.declined_by::text[] AS "declinedBy", r.city_key AS "cityKey", r.requester_language AS language`

/** Locks a referral for a change; with `partnerId`, only one referred to that partner. */
export async function lockReferral(client: pg.PoolClient, id: string, partnerId?: string): Promise<ReferralRow | null> {
  const { rows } = await client.query<ReferralRow>(
    `SELECT ${ROW} FROM referrals f JOIN requests r ON r.id = f.request_id
     WHERE f.id = $1 AND ($2::bigint IS NULL OR f.partner_id = $2) FOR UPDATE OF f`,
    [id, partnerId ?? null],
  )
  return rows[0] ?? null
}

/** Moves a referral to a state (and partner); `declined` adds the partner leaving it to `declined_by`. */
export async function moveReferral(
  client: pg.PoolClient,
  m: { id: string; state: ReferralState; partnerId: string | null; declined?: string | null },
): Promise<void> {
  await client.query(
    `UPDATE referrals SET state = $2, partner_id = $3, updated_at = now(),
       declined_by = CASE WHEN $4::bigint IS NULL THEN declined_by ELSE array_append(declined_by, $4::bigint) END,
       offered_at = CASE WHEN $2 IN ('offered', 'unassigned') THEN now() ELSE offered_at END,
       escalated_at = CASE WHEN $2 = 'unassigned' AND $4::bigint IS NOT NULL THEN now() ELSE escalated_at END,
       closed_at = CASE WHEN $2 = 'done' THEN now() END
     WHERE id = $1`,
    [m.id, m.state, m.partnerId, m.declined ?? null],
  )
}

const CASE_SQL = `SELECT f.id::text, f.kind, f.state, r.reference, f.categories, f.note,
    coalesce(r.relative_city, r.city_key) AS city, f.consent, r.relative_name, r.relative_phone,
    f.offered_at AS "offeredAt", f.updated_at AS "updatedAt"
  FROM referrals f JOIN requests r ON r.id = f.request_id`

type CaseRow = Omit<PartnerCase, 'family' | 'offeredAt' | 'updatedAt'> & {
  consent: boolean
  relative_name: string | null
  relative_phone: string | null
  offeredAt: Date
  updatedAt: Date
}

// The one place that decides what a partner sees of a family: without consent, no name or phone.
function asCase(row: CaseRow): PartnerCase {
  const { consent, relative_name, relative_phone, offeredAt, updatedAt, ...rest } = row
  return {
    ...rest,
    family: consent ? { name: relative_name, phone: relative_phone } : null,
    offeredAt: offeredAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
  }
}

/** The cases referred to a partner (open ones by default), oldest first. */
export async function casesOfPartner(db: Queryable, partnerId: string, options: { open?: boolean } = {}): Promise<PartnerCase[]> {
  const { rows } = await db.query<CaseRow>(
    `${CASE_SQL} WHERE f.partner_id = $1 AND ($2::boolean IS NOT TRUE OR f.state IN ('offered', 'accepted'))
     ORDER BY f.offered_at, f.id LIMIT 500`,
    [partnerId, options.open ?? true],
  )
  return rows.map(asCase)
}

/** One case of a partner; null when it is not referred to this partner. */
export async function caseOfPartner(db: Queryable, partnerId: string, id: string): Promise<PartnerCase | null> {
  const { rows } = await db.query<CaseRow>(`${CASE_SQL} WHERE f.partner_id = $1 AND f.id = $2`, [partnerId, id])
  return rows[0] ? asCase(rows[0]) : null
}

/** Offered cases nobody touched for `minutes` (most overdue first), locked for moving on. */
export async function lockOverdue(client: pg.PoolClient, minutes: number): Promise<ReferralRow[]> {
  const { rows } = await client.query<ReferralRow>(
    `SELECT ${ROW} FROM referrals f JOIN requests r ON r.id = f.request_id
     WHERE f.state = 'offered' AND f.offered_at < now() - make_interval(mins => $1)
     ORDER BY f.offered_at LIMIT 200 FOR UPDATE OF f SKIP LOCKED`,
    [minutes],
  )
  return rows
}
