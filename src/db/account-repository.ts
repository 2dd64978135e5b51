import type pg from 'pg'
import type { Language } from '../domain/request-states.js'
import type { Db } from './pool.js'

type Queryable = Db | pg.PoolClient

export type Role = 'volunteer' | 'coordinator' | 'partner'
export type AccountStatus = 'pending' | 'approved' | 'suspended'
export type Account = {
  id: string
  role: Role
  name: string
  phone: string
  email: string | null
  languages: Language[]
  status: AccountStatus
  available: boolean
}

const COLUMNS = 'a.id::text, a.role, a.name, a.phone, a.email, a.languages, a.status, a.available'

/** A new account; null when the phone or email is already taken. */
export async function insertAccount(
  db: Queryable,
  account: {
    role: Role
    name: string
    phone: string
    email?: string
    passwordHash: string
    languages: Language[]
    status: AccountStatus
  },
): Promise<Account | null> {
  const { rows } = await db.query<Account>(
    `INSERT INTO accounts AS a (role, name, phone, email, password_hash, languages, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
    [account.role, account.name, account.phone, account.email ?? null, account.passwordHash, account.languages, account.status],
  )
  return rows[0] ?? null
}

export async function findAccount(db: Queryable, id: string): Promise<Account | null> {
  const { rows } = await db.query<Account>(`SELECT ${COLUMNS} FROM accounts a WHERE id = $1`, [id])
  return rows[0] ?? null
}

/** The account and its password hash, by phone (E.164) or email. */
export async function findForLogin(
  db: Queryable,
  login: { phone?: string; email?: string },
): Promise<(Account & { passwordHash: string }) | null> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS}, password_hash AS "passwordHash" FROM accounts a WHERE phone = $1 OR lower(email) = lower($2)`,
    [login.phone ?? null, login.email ?? null],
  )
  return rows[0] ?? null
}

export async function setStatus(db: Queryable, id: string, status: AccountStatus): Promise<Account | null> {
  const { rows } = await db.query<Account>(
    `UPDATE accounts AS a SET status = $2, available = CASE WHEN $2 = 'approved' THEN available ELSE false END, updated_at = now()
     WHERE id = $1 AND role = 'volunteer' RETURNING ${COLUMNS}`,
    [id, status],
  )
  return rows[0] ?? null
}

export async function setAvailable(db: Queryable, id: string, available: boolean): Promise<Account | null> {
  const { rows } = await db.query<Account>(
    `UPDATE accounts AS a SET available = $2, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, available],
  )
  return rows[0] ?? null
}

/** Records who saw or did what; never the personal data itself. */
export async function audit(
  db: Queryable,
  event: { accountId: string; action: string; requestId?: string; data?: object },
): Promise<void> {
  await db.query('INSERT INTO audit_events (account_id, action, request_id, data) VALUES ($1, $2, $3, $4)', [
    event.accountId,
    event.action,
    event.requestId ?? null,
    event.data ?? {},
  ])
}

export async function listVolunteers(db: Queryable): Promise<(Account & { holding: number })[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS}, (SELECT count(*)::int FROM leases l WHERE l.account_id = a.id) AS holding
     FROM accounts a WHERE role = 'volunteer' ORDER BY status, name LIMIT 1000`,
  )
  return rows
}

/** Edits a volunteer's name, email or languages; null when there is no such volunteer. */
export async function editVolunteer(
  db: Queryable,
  id: string,
  edit: { name?: string; email?: string; languages?: Language[] },
): Promise<Account | null> {
  const { rows } = await db.query<Account>(
    `UPDATE accounts AS a SET name = coalesce($2, name), email = coalesce($3, email), languages = coalesce($4, languages), updated_at = now()
     WHERE id = $1 AND role = 'volunteer' RETURNING ${COLUMNS}`,
    [id, edit.name ?? null, edit.email ?? null, edit.languages ?? null],
  )
  return rows[0] ?? null
}
