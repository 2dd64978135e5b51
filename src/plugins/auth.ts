import cookie from '@fastify/cookie'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Account, Role } from '../db/account-repository.js'
import { findSessionAccount } from '../db/session-repository.js'
import { AuthErrors } from '../errors.js'
import { hashToken } from '../services/auth.js'

/** The cookie the pages use for a session (HttpOnly, SameSite=Lax, Secure behind HTTPS). */
export const SESSION_COOKIE = 'bailanys_session'

declare module 'fastify' {
  interface FastifyRequest {
    account: Account | null
  }
  interface FastifyInstance {
    /** preHandler: 401 unless a live session; 403 unless one of `roles`. */
    requireRole: (...roles: Role[]) => (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
}

/** The session token of a request: `Authorization: Bearer …` (scripts) or the session cookie (pages). */
export function sessionToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (header?.startsWith('Bearer ')) return header.slice(7).trim() || undefined
  return request.cookies?.[SESSION_COOKIE]
}

/** Reads the session of every request lazily, through `requireRole` on the routes that need one. */
export default fp(
  async (app) => {
    await app.register(cookie)
    app.decorateRequest('account', null)
    app.decorate('requireRole', (...roles: Role[]) => async (request: FastifyRequest) => {
      const token = sessionToken(request)
      const account = token ? await findSessionAccount(app.db, hashToken(token)) : null
      if (!account) throw new AuthErrors.UNAUTHENTICATED()
      if (!roles.includes(account.role)) throw new AuthErrors.FORBIDDEN()
      request.account = account
      request.log = request.log.child({ accountId: account.id })
    })
  },
  { name: 'auth', dependencies: ['db'] },
)
