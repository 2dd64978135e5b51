import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../../config.js'
import { type Account, audit, editVolunteer, insertAccount, listVolunteers, setStatus } from '../../db/account-repository.js'
import { backlogSummary } from '../../db/backlog-repository.js'
import { duplicateSuggestions, listRequests, requestForCoordinator } from '../../db/coordination-repository.js'
import { leasesOfAccount } from '../../db/lease-repository.js'
import { findSessionAccount, revokeAllSessions } from '../../db/session-repository.js'
import { type MessageKey, message } from '../../domain/messages/index.js'
import { formatReference, parseReference } from '../../domain/reference.js'
import { LANGUAGES, type Language, REQUEST_STATES, type RequestState } from '../../domain/request-states.js'
import { sessionToken } from '../../plugins/auth.js'
import { Password } from '../../schemas/accounts.js'
import { PhoneSchema, requiredText } from '../../schemas/common.js'
import { lenientListFilters } from '../../schemas/coordination.js'
import { hashPassword, hashToken } from '../../services/auth.js'
import { cancelByCoordinator, changePriority, endLeaseByCoordinator, merge, requeue } from '../../services/coordination.js'
import { endLeaseNow } from '../../services/tasks.js'

type Form = Record<string, string | string[] | undefined>

const ERROR_KEYS: Record<string, MessageKey> = {
  APP_ERR_NOT_OPEN: 'page.coord.err.notOpen',
  APP_ERR_NOT_CLOSED: 'page.coord.err.notClosed',
  APP_ERR_RELATIVE_HAS_OPEN_REQUEST: 'page.coord.err.relativeOpen',
  APP_ERR_SAME_REQUEST: 'page.coord.err.same',
  APP_ERR_NO_LEASE_TO_END: 'page.coord.err.noLease',
  APP_ERR_REQUEST_NOT_FOUND: 'page.status.notFound',
  APP_ERR_ACCOUNT_EXISTS: 'page.coord.err.volunteerExists',
  APP_ERR_ACCOUNT_NOT_FOUND: 'page.coord.err.volunteerNotFound',
  VOLUNTEER_INVALID: 'page.coord.err.volunteerInvalid',
}
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? ''
const many = (v: string | string[] | undefined) => (Array.isArray(v) ? v : v ? [v] : [])

/**
 * The coordinator dashboard: the backlog live (a small same-origin script listens to the SSE
 * stream; without it the page is a snapshot), requests with filters and their full pages with
 * the actions, suggested duplicates, volunteers. Every action is a plain form POST with a CSRF
 * token, calling the same services as the JSON API.
 */
const coordinator: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  const deps = { db: app.db, redis: app.redis, checkins: app.checkins, log: app.log, config }
  const options = {
    escalateAfterMinutes: config.ESCALATE_AFTER_MINUTES,
    leaseWarnSeconds: Math.min(120, config.LEASE_SECONDS / 5),
  }

  /** A coordinator's session, or the way to the login page (a volunteer is sent to the console). */
  async function session(request: FastifyRequest, reply: FastifyReply): Promise<Account | null> {
    const token = sessionToken(request)
    const account = token ? await findSessionAccount(app.db, hashToken(token)) : null
    if (!account) {
      await reply.redirect(`/volunteer/login?next=${encodeURIComponent(request.url.split('?')[0] ?? '/coordinator')}`, 303)
      return null
    }
    if (account.role !== 'coordinator') {
      await reply.redirect('/volunteer', 303)
      return null
    }
    return account
  }
  const t = (request: FastifyRequest) => (key: MessageKey, params?: Record<string, string | number>) =>
    message(request.lang, key, params)
  const stateName = (request: FastifyRequest, state: RequestState) => t(request)(`state.${state}` as MessageKey)
  /** Runs an action; a refusal (409, 404, 400) comes back, by its code, as a message on the page. */
  async function action(_request: FastifyRequest, reply: FastifyReply, back: string, fn: () => Promise<unknown>) {
    try {
      await fn()
      return reply.redirect(`${back}?done=1`, 303)
    } catch (err) {
      const e = err as { statusCode?: number; code?: string }
      if (!e.statusCode || e.statusCode >= 500) throw err
      return reply.redirect(`${back}?error=${encodeURIComponent(e.code ?? 'INVALID')}`, 303)
    }
  }
  /** The message for an action's refusal, in the coordinator's language. */
  const refusal = (request: FastifyRequest, code: string) => (code ? t(request)(ERROR_KEYS[code] ?? 'page.error.invalid') : '')
  const refuse = (code: string, statusCode: number) => Object.assign(new Error(code), { code, statusCode })

  app.get('/coordinator', async (request, reply) => {
    if (!(await session(request, reply))) return reply
    const summary = await backlogSummary(app.db, options)
    const states = REQUEST_STATES.map((s) => ({ key: s, name: stateName(request, s), n: summary.counts[s] }))
    return reply.page('coordinator-dashboard', { summary, states, csrf: reply.generateCsrf() })
  })

  app.get('/coordinator/requests', async (request: FastifyRequest<{ Querystring: Form }>, reply) => {
    if (!(await session(request, reply))) return reply
    const q = request.query
    // The API's rules for each filter (bounds, no NUL); one that breaks its rule is left out.
    const { state, language, priority, city, reference, cursor } = lenientListFilters({
      state: one(q.state),
      language: one(q.language),
      priority: one(q.priority),
      city: one(q.city),
      reference: one(q.reference),
      cursor: one(q.cursor),
    })
    const page = await listRequests(app.db, {
      state,
      language,
      priority,
      city: city?.toLowerCase() || undefined,
      reference: reference?.toUpperCase().replace(/[\s-]/g, '') || undefined,
      cursor,
      limit: 50,
    })
    const items = page.items.map((r) => ({
      ...r,
      ref: formatReference(r.reference),
      stateName: stateName(request, r.status as RequestState),
    }))
    const filters = {
      state: state ?? '',
      language: language ?? '',
      priority: priority ?? '',
      city: one(q.city),
      reference: one(q.reference),
    }
    const next = page.nextCursor
      ? `?${new URLSearchParams({ ...Object.fromEntries(Object.entries(filters).map(([k, v]) => [k, String(v)])), cursor: page.nextCursor })}`
      : null
    const states = REQUEST_STATES.map((s) => ({ key: s, name: stateName(request, s) }))
    return reply.page('coordinator-requests', { items, filters, next, states, langs: LANGUAGES })
  })

  app.get(
    '/coordinator/requests/:ref',
    async (request: FastifyRequest<{ Params: { ref: string }; Querystring: Form }>, reply) => {
      const me = await session(request, reply)
      if (!me) return reply
      const reference = parseReference(request.params.ref)
      const found = reference ? await requestForCoordinator(app.db, reference) : null
      if (!found)
        return reply.page(
          'message',
          { heading: t(request)('page.title'), text: t(request)('page.status.notFound'), back: '/coordinator/requests' },
          404,
        )
      await audit(app.db, { accountId: me.id, action: 'request.read', requestId: found.id })
      return reply.page('coordinator-request', {
        r: { ...found, ref: formatReference(found.reference), stateName: stateName(request, found.status) },
        done: Boolean(request.query.done),
        error: refusal(request, one(request.query.error)),
        csrf: reply.generateCsrf(),
      })
    },
  )

  const post = { preHandler: app.csrfProtection }
  type Act = FastifyRequest<{ Params: { ref: string }; Body: Form }>
  const back = (request: Act) => `/coordinator/requests/${encodeURIComponent(request.params.ref)}`
  const acting = async (request: Act, reply: FastifyReply, fn: (me: Account) => Promise<unknown>) => {
    const me = await session(request, reply)
    if (!me) return reply
    return action(request, reply, back(request), () => fn(me))
  }
  app.post('/coordinator/requests/:ref/priority', post, (request: Act, reply) =>
    acting(request, reply, (me) =>
      changePriority(deps, me.id, request.params.ref, Math.min(10, Math.max(1, Number(one(request.body.priority)) || 10))),
    ),
  )
  app.post('/coordinator/requests/:ref/cancel', post, (request: Act, reply) =>
    acting(request, reply, (me) =>
      cancelByCoordinator(deps, me.id, request.params.ref, one(request.body.reason).trim().slice(0, 300) || '—'),
    ),
  )
  app.post('/coordinator/requests/:ref/merge', post, (request: Act, reply) =>
    acting(request, reply, (me) => merge(deps, me.id, request.params.ref, one(request.body.into))),
  )
  app.post('/coordinator/requests/:ref/requeue', post, (request: Act, reply) =>
    acting(request, reply, (me) => requeue(deps, me.id, request.params.ref)),
  )
  app.post('/coordinator/requests/:ref/end-lease', post, (request: Act, reply) =>
    acting(request, reply, (me) => endLeaseByCoordinator(deps, me.id, request.params.ref)),
  )

  app.get('/coordinator/duplicates', async (request, reply) => {
    if (!(await session(request, reply))) return reply
    const groups = (await duplicateSuggestions(app.db)).map((g: { cityKey: string; references: string[] }) => ({
      city: g.cityKey,
      refs: g.references.map((r) => ({ raw: r, ref: formatReference(r) })),
    }))
    return reply.page('coordinator-duplicates', { groups, csrf: reply.generateCsrf() })
  })

  app.get('/coordinator/volunteers', async (request: FastifyRequest<{ Querystring: Form }>, reply) => {
    if (!(await session(request, reply))) return reply
    const volunteers = await listVolunteers(app.db)
    return reply.page('coordinator-volunteers', {
      volunteers,
      langs: LANGUAGES,
      csrf: reply.generateCsrf(),
      error: refusal(request, one(request.query.error)),
      done: Boolean(request.query.done),
    })
  })

  type VolunteerForm = FastifyRequest<{ Params: { id: string }; Body: Form }>
  app.post('/coordinator/volunteers', post, async (request: VolunteerForm, reply) => {
    const me = await session(request, reply)
    if (!me) return reply
    return action(request, reply, '/coordinator/volunteers', async () => {
      const name = requiredText(100).safeParse(one(request.body.name))
      const phone = PhoneSchema.safeParse(one(request.body.phone))
      const password = Password.safeParse(one(request.body.password))
      const languages = many(request.body.languages).filter((l): l is Language => (LANGUAGES as readonly string[]).includes(l))
      if (!name.success || !phone.success || !password.success || languages.length === 0) {
        throw refuse('VOLUNTEER_INVALID', 400)
      }
      const created = await insertAccount(app.db, {
        role: 'volunteer',
        name: name.data,
        phone: phone.data.e164,
        passwordHash: await hashPassword(password.data),
        languages,
        status: 'pending',
      })
      if (!created) throw refuse('APP_ERR_ACCOUNT_EXISTS', 409)
      await audit(app.db, { accountId: me.id, action: 'volunteer.created', data: { volunteer: created.id } })
    })
  })

  app.post(
    '/coordinator/volunteers/:id/:change',
    post,
    async (request: FastifyRequest<{ Params: { id: string; change: string }; Body: Form }>, reply) => {
      const me = await session(request, reply)
      if (!me) return reply
      const { id, change } = request.params
      return action(request, reply, '/coordinator/volunteers', async () => {
        if (!/^\d{1,18}$/.test(id)) throw refuse('APP_ERR_ACCOUNT_NOT_FOUND', 404)
        if (change === 'approve' || change === 'suspend') {
          const account = await setStatus(app.db, id, change === 'approve' ? 'approved' : 'suspended')
          if (!account) throw refuse('APP_ERR_ACCOUNT_NOT_FOUND', 404)
          if (change === 'suspend') {
            for (const lease of await leasesOfAccount(app.db, id))
              await endLeaseNow(deps, lease, { type: 'coordinator', id: me.id })
            await revokeAllSessions(app.db, id)
          }
          await audit(app.db, {
            accountId: me.id,
            action: `volunteer.${change === 'approve' ? 'approved' : 'suspended'}`,
            data: { volunteer: id },
          })
        } else if (change === 'languages') {
          const languages = many(request.body.languages).filter((l): l is Language =>
            (LANGUAGES as readonly string[]).includes(l),
          )
          if (languages.length === 0) throw refuse('VOLUNTEER_INVALID', 400)
          await editVolunteer(app.db, id, { languages })
          await audit(app.db, { accountId: me.id, action: 'volunteer.edited', data: { volunteer: id, fields: ['languages'] } })
        } else throw refuse('APP_ERR_ACCOUNT_NOT_FOUND', 404)
      })
    },
  )
}
export default coordinator
