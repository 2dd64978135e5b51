import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { type Config, redisKeyPrefix } from '../../config.js'
import type { Account } from '../../db/account-repository.js'
import { revokeSession } from '../../db/session-repository.js'
import { SESSION_COOKIE, sessionToken } from '../../plugins/auth.js'
import { AccountSchema, LoginRoute } from '../../schemas/accounts.js'
import { hashToken, login } from '../../services/auth.js'

/** Login (token for scripts, plus an HttpOnly cookie for the pages), logout, and who am I. */
const auth: FastifyPluginAsyncZod<{ config: Config }> = async (app, { config }) => {
  const secure = config.PUBLIC_BASE_URL.startsWith('https:')

  app.post(
    '/api/v1/auth/login',
    { schema: LoginRoute, config: { rateLimit: { max: 20, timeWindow: 60_000 } } },
    async (request, reply) => {
      const deps = { db: app.db, redis: app.redis, keyPrefix: redisKeyPrefix(config), sessionHours: config.SESSION_HOURS }
      const { token, expiresAt, account } = await login(deps, request.body)
      request.log.info({ accountId: account.id, role: account.role }, 'logged in')
      reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure, path: '/', expires: expiresAt })
      return { token, expiresAt: expiresAt.toISOString(), role: account.role }
    },
  )

  app.post(
    '/api/v1/auth/logout',
    { schema: { tags: ['accounts'] }, preHandler: app.requireRole('volunteer', 'coordinator', 'partner') },
    async (request, reply) => {
      await revokeSession(app.db, hashToken(sessionToken(request) as string))
      reply.clearCookie(SESSION_COOKIE, { path: '/' })
      return reply.code(204).send()
    },
  )

  app.get(
    '/api/v1/me',
    {
      schema: { tags: ['accounts'], response: { 200: AccountSchema } },
      preHandler: app.requireRole('volunteer', 'coordinator', 'partner'),
    },
    async (request) => request.account as Account,
  )
}
export default auth
