import type pg from 'pg'
import type { Account } from './account-repository.js'
import type { Db } from './pool.js'

export async function insertSession(db: Db, session: { tokenHash: string; accountId: string; hours: number }): Promise<Date> {
  const { rows } = await db.query(
    `INSERT INTO sessions (token_hash, account_id, expires_at) VALUES ($1, $2, now() + make_interval(hours => $3))
     RETURNING expires_at`,
    [session.tokenHash, session.accountId, session.hours],
  )
  return rows[0].expires_at
}

/** The account behind a live session (not expired, not revoked, account not suspended). */
export async function findSessionAccount(db: Db, tokenHash: string): Promise<Account | null> {
  const { rows } = await db.query<Account>(
    `SELECT a.id::text, a.role, a.name, a.phone, a.email, a.languages, a.status, a.available
     FROM sessions s JOIN accounts a ON a.id = s.account_id
     WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND a.status <> 'suspended'`,
    [tokenHash],
  )
  return rows[0] ?? null
}

export async function revokeSession(db: Db, tokenHash: string): Promise<void> {
  await db.query('UPDATE sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL', [tokenHash])
}

/** In the caller's transaction when given a client (a suspension commits with its sessions' end). */
export async function revokeAllSessions(db: Db | pg.PoolClient, accountId: string): Promise<void> {
  await db.query('UPDATE sessions SET revoked_at = now() WHERE account_id = $1 AND revoked_at IS NULL', [accountId])
}
