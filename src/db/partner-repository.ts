import type pg from 'pg'
import type { Language } from '../domain/request-states.js'
import type { Account } from './account-repository.js'
import type { Db } from './pool.js'

type Queryable = Db | pg.PoolClient

export const NEED_CATEGORIES = ['medical', 'food', 'shelter', 'legal_aid', 'search', 'other'] as const
export type NeedCategory = (typeof NEED_CATEGORIES)[number]
export const INTAKE_MODES = ['pages', 'webhook', 'both'] as const
export type IntakeMode = (typeof INTAKE_MODES)[number]

/** A partner as coordinators see it: never its webhook secret. */
export type Partner = {
  id: string
  name: string
  categories: NeedCategory[]
  regions: string[]
  everywhere: boolean
  languages: Language[]
  intake: IntakeMode
  webhookUrl: string | null
  mayBeNamed: boolean
  active: boolean
}
export type PartnerInput = Omit<Partner, 'id'> & { webhookSecret?: string | null }

const COLUMNS = `p.id::text, p.name, p.categories, p.regions, p.everywhere, p.languages, p.intake,
  p.webhook_url AS "webhookUrl", p.may_be_named AS "mayBeNamed", p.active`

export async function insertPartner(db: Queryable, p: PartnerInput): Promise<Partner> {
  const { rows } = await db.query<Partner>(
    `INSERT INTO partners AS p (name, categories, regions, everywhere, languages, intake, webhook_url, webhook_secret, may_be_named, active)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
    [
      p.name,
      p.categories,
      p.regions,
      p.everywhere,
      p.languages,
      p.intake,
      p.webhookUrl,
      p.webhookSecret ?? null,
      p.mayBeNamed,
      p.active,
    ],
  )
  return rows[0] as Partner
}

/** Changes the fields given; a `webhookSecret` given replaces the old one. Null when there is no such partner. */
export async function updatePartner(db: Queryable, id: string, p: Partial<PartnerInput>): Promise<Partner | null> {
  const { rows } = await db.query<Partner>(
    `UPDATE partners AS p SET name = coalesce($2, name), categories = coalesce($3, categories), regions = coalesce($4, regions),
       everywhere = coalesce($5, everywhere), languages = coalesce($6, languages), intake = coalesce($7, intake),
       webhook_url = CASE WHEN $8::boolean THEN $9 ELSE webhook_url END, webhook_secret = coalesce($10, webhook_secret),
       may_be_named = coalesce($11, may_be_named), active = coalesce($12, active), updated_at = now()
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [
      id,
      p.name ?? null,
      p.categories ?? null,
      p.regions ?? null,
      p.everywhere ?? null,
      p.languages ?? null,
      p.intake ?? null,
      p.webhookUrl !== undefined,
      p.webhookUrl ?? null,
      p.webhookSecret ?? null,
      p.mayBeNamed ?? null,
      p.active ?? null,
    ],
  )
  return rows[0] ?? null
}

export async function findPartner(db: Queryable, id: string): Promise<Partner | null> {
  const { rows } = await db.query<Partner>(`SELECT ${COLUMNS} FROM partners p WHERE id = $1`, [id])
  return rows[0] ?? null
}

export async function listPartners(db: Queryable): Promise<Partner[]> {
  const { rows } = await db.query<Partner>(`SELECT ${COLUMNS} FROM partners p ORDER BY active DESC, name LIMIT 1000`)
  return rows
}

/** The webhook address and secret, for the worker that signs the pushes. */
export async function partnerWebhook(
  db: Queryable,
  id: string,
): Promise<{ url: string | null; secret: string | null; intake: IntakeMode } | null> {
  const { rows } = await db.query('SELECT webhook_url AS url, webhook_secret AS secret, intake FROM partners WHERE id = $1', [id])
  return rows[0] ?? null
}

/** A partner's account (role `partner`); null when the phone or email is taken. */
export async function insertPartnerAccount(
  db: Queryable,
  a: { partnerId: string; name: string; phone: string; email?: string; passwordHash: string; languages: Language[] },
): Promise<Account | null> {
  const { rows } = await db.query<Account>(
    `INSERT INTO accounts (role, partner_id, name, phone, email, password_hash, languages, status)
     VALUES ('partner', $1, $2, $3, $4, $5, $6, 'approved') ON CONFLICT DO NOTHING
     RETURNING id::text, role, name, phone, email, languages, status, available`,
    [a.partnerId, a.name, a.phone, a.email ?? null, a.passwordHash, a.languages],
  )
  return rows[0] ?? null
}

/** The partner an account works for (null for volunteers, coordinators and inactive partners). */
export async function partnerOfAccount(db: Queryable, accountId: string): Promise<string | null> {
  const { rows } = await db.query(
    'SELECT p.id::text FROM accounts a JOIN partners p ON p.id = a.partner_id WHERE a.id = $1 AND p.active',
    [accountId],
  )
  return rows[0]?.id ?? null
}

export type PartnerKey = {
  id: string
  prefix: string
  label: string
  createdAt: string
  lastUsedAt: string | null
  revokedAt: string | null
}
const KEY_COLUMNS = `id::text, prefix, label, created_at AS "createdAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`

export async function insertKey(
  db: Queryable,
  k: { partnerId: string; keyHash: string; prefix: string; label: string },
): Promise<PartnerKey> {
  const { rows } = await db.query<PartnerKey>(
    `INSERT INTO partner_keys (partner_id, key_hash, prefix, label) VALUES ($1, $2, $3, $4) RETURNING ${KEY_COLUMNS}`,
    [k.partnerId, k.keyHash, k.prefix, k.label],
  )
  return rows[0] as PartnerKey
}

export async function listKeys(db: Queryable, partnerId: string): Promise<PartnerKey[]> {
  const { rows } = await db.query<PartnerKey>(`SELECT ${KEY_COLUMNS} FROM partner_keys WHERE partner_id = $1 ORDER BY id`, [
    partnerId,
  ])
  return rows
}

/** Revokes a key of this partner; false when it has no such live key. */
export async function revokeKey(db: Queryable, partnerId: string, keyId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE partner_keys SET revoked_at = now() WHERE id = $1 AND partner_id = $2 AND revoked_at IS NULL',
    [keyId, partnerId],
  )
  return rowCount === 1
}

/** The partner behind a live key of an active partner, marking the key used. */
export async function partnerOfKey(db: Queryable, keyHash: string): Promise<{ partnerId: string; keyId: string } | null> {
  const { rows } = await db.query(
    `UPDATE partner_keys k SET last_used_at = now() FROM partners p
     WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND p.id = k.partner_id AND p.active
     RETURNING k.partner_id::text AS "partnerId", k.id::text AS "keyId"`,
    [keyHash],
  )
  return rows[0] ?? null
}
