import cookie from '@fastify/cookie'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import type { Account, Role } from '../db/account-repository.js'
import { findSessionAccount } from '../db/session-repository.js'
import { AuthErrors, Errors } from '../errors.js'
import { hashToken } from '../services/auth.js'
import { isApiChange, isSameOrigin } from './cross-site.js'

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

/**
 * Where a request's session comes from: `Authorization: Bearer …` (scripts) wins over the
 * session cookie (pages, sent by the browser on its own); undefined when there is neither.
 */
export function sessionCredential(request: FastifyRequest): { via: 'bearer' | 'cookie'; token: string } | undefined {
  const header = request.headers.authorization
  if (header?.startsWith('Bearer ')) {
    const token = header.slice(7).trim()
    return token ? { via: 'bearer', token } : undefined
  }
  const token = request.cookies?.[SESSION_COOKIE]
  return token ? { via: 'cookie', token } : undefined
}

/** The session token of a request, from either place. */
export function sessionToken(request: FastifyRequest): string | undefined {
  return sessionCredential(request)?.token
}

/**
 * Reads the session of every request lazily, through `requireRole` on the routes that need one;
 * and refuses a change through the JSON API that carries the cookie but comes from another site.
 */
export default fp<{ config: Config }>(
  async (app, { config }) => {
    await app.register(cookie)
    app.decorateRequest('account', null)
    const publicOrigin = new URL(config.PUBLIC_BASE_URL).origin
    // The browser attaches the cookie whoever's page sends the request (SameSite=Lax still lets a
    // sibling subdomain through, and old browsers ignore it). Checked on every request that
    // carries it, before the body is parsed, so that the refusal is the same on every route.
    app.addHook('onRequest', async (request, reply) => {
      if (sessionCredential(request)?.via !== 'cookie' || !isApiChange(request) || isSameOrigin(request, publicOrigin)) return
      request.log.info({ fetchSite: request.headers['sec-fetch-site'], origin: request.headers.origin }, 'cross-site refused')
      // Through the app's own handler: bull-board's routes have one of their own that knows no codes.
      app.errorHandler.call(app, new Errors.CROSS_SITE(), request, reply)
      return reply
    })
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
