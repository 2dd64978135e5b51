import { createHash, randomBytes } from 'node:crypto'
import argon2 from 'argon2'
import type { Redis } from 'ioredis'
import { type Account, findForLogin } from '../db/account-repository.js'
import type { Db } from '../db/pool.js'
import { insertSession } from '../db/session-repository.js'
import { normalisePhone } from '../domain/phone.js'
import { hasControlCharacters } from '../domain/text.js'
import { AuthErrors, Errors } from '../errors.js'

/** Failed logins one account may have in 15 minutes before it is locked for the rest of them. */
const MAX_FAILURES = 5
const FAILURE_WINDOW_S = 15 * 60
// Verified when the login is unknown, so that an unknown login takes as long as a wrong password.
const DUMMY_HASH = await argon2.hash('not a password of anyone')

export const hashPassword = (password: string) => argon2.hash(password, { type: argon2.argon2id })
export const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url')

/** A login as typed: an email, or a phone number in any usual format. */
export function parseLogin(login: string): { email?: string; phone?: string } {
  // Names no account, and PostgreSQL text cannot hold the NUL among them: not looked up.
  if (hasControlCharacters(login)) return {}
  if (login.includes('@')) return { email: login.trim().toLowerCase() }
  const phone = normalisePhone(login)
  return phone.ok ? { phone: phone.e164 } : {}
}

/**
 * Checks a login and password and opens a session. Failed attempts are counted per login in
 * Redis (past MAX_FAILURES in 15 minutes: 429, even with the right password); the per-IP limit
 * is the route's.
 */
export async function login(
  deps: { db: Db; redis: Redis; keyPrefix: string; sessionHours: number },
  credentials: { login: string; password: string },
): Promise<{ token: string; expiresAt: Date; account: Account }> {
  const parsed = parseLogin(credentials.login)
  const key = `${deps.keyPrefix}login-failures:${hashToken(parsed.email ?? parsed.phone ?? credentials.login)}`
  const failures = Number(await deps.redis.get(key).catch(() => 0))
  if (failures >= MAX_FAILURES) throw new Errors.RATE_LIMITED('Too many failed logins for this account; try again in 15 minutes')
  const found = parsed.email || parsed.phone ? await findForLogin(deps.db, parsed) : null
  const ok = await argon2.verify(found?.passwordHash ?? DUMMY_HASH, credentials.password)
  if (!found || !ok || found.status === 'suspended') {
    await deps.redis
      .multi()
      .incr(key)
      .expire(key, FAILURE_WINDOW_S)
      .exec()
      .catch(() => {})
    throw new AuthErrors.BAD_CREDENTIALS()
  }
  await deps.redis.del(key).catch(() => {})
  const token = randomBytes(32).toString('base64url')
  const { passwordHash: _, ...account } = found
  const expiresAt = await insertSession(deps.db, { tokenHash: hashToken(token), accountId: account.id, hours: deps.sessionHours })
  return { token, expiresAt, account }
}
