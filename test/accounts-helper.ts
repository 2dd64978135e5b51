import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { insertAccount } from '../src/db/account-repository.js'
import { insertSession } from '../src/db/session-repository.js'
import { hashPassword, hashToken } from '../src/services/auth.js'
import { uniquePhone } from './helper.js'

export const PASSWORD = 'correct horse battery'

/** Logs in through the API; returns the bearer headers. */
export async function login(app: FastifyInstance, loginName: string, password = PASSWORD) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: loginName, password } })
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`)
  return { authorization: `Bearer ${res.json().token}` }
}

/** A coordinator, created as the admin CLI does, logged in. */
export async function coordinator(app: FastifyInstance) {
  const phone = uniquePhone()
  const account = await insertAccount(app.db, {
    role: 'coordinator',
    name: 'Coordinator',
    phone,
    passwordHash: await hashPassword(PASSWORD),
    languages: ['kk', 'ru', 'en'],
    status: 'approved',
  })
  return { id: account?.id as string, phone, headers: await login(app, phone) }
}

/**
 * A volunteer added by a coordinator through the API, then (unless told otherwise) approved,
 * logged in and marked available.
 */
export async function volunteer(
  app: FastifyInstance,
  by: { headers: Record<string, string> },
  options: { languages?: string[]; approve?: boolean; available?: boolean; phone?: string } = {},
) {
  const phone = options.phone ?? uniquePhone()
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/volunteers',
    headers: by.headers,
    payload: { name: 'Volunteer Vera', phone, languages: options.languages ?? ['ru', 'kk'], password: PASSWORD },
  })
  if (created.statusCode !== 201) throw new Error(`volunteer not created: ${created.body}`)
  const { id } = created.json()
  if (options.approve !== false)
    await app.inject({ method: 'POST', url: `/api/v1/volunteers/${id}/approve`, headers: by.headers })
  const headers = await login(app, phone)
  if (options.approve !== false && options.available !== false) {
    await app.inject({ method: 'POST', url: '/api/v1/volunteers/me/availability', headers, payload: { available: true } })
  }
  return { id: id as string, phone, headers }
}

/**
 * A new session for an account, written straight to the database as login() writes it: for
 * tests that need many sessions (login is rate-limited per address) or one for a suspended account.
 */
export async function sessionFor(app: FastifyInstance, accountId: string) {
  const token = randomBytes(32).toString('base64url')
  await insertSession(app.db, { tokenHash: hashToken(token), accountId, hours: 1 })
  return token
}
