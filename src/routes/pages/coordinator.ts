import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../../config.js'
import { type Account, audit } from '../../db/account-repository.js'
import { type BacklogPoint, backlogHistory, backlogSummary, latestEventId } from '../../db/backlog-repository.js'
import { duplicateSuggestions, listRequests, requestForCoordinator } from '../../db/coordination-repository.js'
import { findSessionAccount } from '../../db/session-repository.js'
import { cityKey } from '../../domain/city.js'
import type { MessageKey } from '../../domain/messages/index.js'
import { formatReference, parseReference } from '../../domain/reference.js'
import { LANGUAGES, REQUEST_STATES } from '../../domain/request-states.js'
import { Errors } from '../../errors.js'
import { sessionToken } from '../../plugins/auth.js'
import { lenientListFilters } from '../../schemas/coordination.js'
import { hashToken } from '../../services/auth.js'
import { cancelByCoordinator, changePriority, endLeaseByCoordinator, merge, requeue } from '../../services/coordination.js'
import {
  chartView,
  dashboardView,
  historyEntries,
  languageName,
  placeName,
  stateName,
  texts,
  timeOf,
  type View,
} from './coordinator-view.js'
import volunteerPages from './coordinator-volunteers.js'

type Form = Record<string, string | string[] | undefined>

/** A refusal's words on the request page, by the service's code. */
const ERROR_KEYS: Record<string, MessageKey> = {
  APP_ERR_NOT_OPEN: 'page.coord.err.notOpen',
  APP_ERR_NOT_CLOSED: 'page.coord.err.notClosed',
  APP_ERR_RELATIVE_HAS_OPEN_REQUEST: 'page.coord.err.relativeOpen',
  APP_ERR_SAME_REQUEST: 'page.coord.err.same',
  APP_ERR_NO_LEASE_TO_END: 'page.coord.err.noLease',
  APP_ERR_REQUEST_NOT_FOUND: 'page.status.notFound',
  APP_ERR_ACCOUNT_EXISTS: 'page.coord.err.volunteerExists',
  APP_ERR_ACCOUNT_NOT_FOUND: 'page.coord.err.volunteerNotFound',
  APP_ERR_VALIDATION: 'page.coord.err.languages',
}
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? ''
/** The chart: the last 12 hours in 30-minute buckets (24 bars fit a 320-px phone). */
const CHART = { hours: 12, bucketMinutes: 30 }

/**
 * The coordinator's pages: the backlog live (a small same-origin script listens to the SSE stream
 * and re-fetches the server-rendered parts; without it the page is a snapshot), requests with
 * filters and their full pages with the actions, suggested duplicates, volunteers
 * (./coordinator-volunteers.ts). Every action is a plain form POST with a CSRF token, calling the
 * same services as the JSON API; ./coordinator-view.ts puts it in the coordinator's words.
 */
const coordinator: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  const deps = { db: app.db, redis: app.redis, checkins: app.checkins, log: app.log, config }
  const options = {
    escalateAfterMinutes: config.ESCALATE_AFTER_MINUTES,
    leaseWarnSeconds: Math.min(120, config.LEASE_SECONDS / 5),
  }
  const view = (request: FastifyRequest): View => ({ language: request.lang, timeZone: config.TIME_ZONE })

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
  /** Runs an action; a refusal (4xx) comes back, by its code, as a message on the page. */
  async function action(reply: FastifyReply, back: string, fn: () => Promise<unknown>) {
    try {
      await fn()
      return reply.redirect(`${back}?done=1`, 303)
    } catch (err) {
      const e = err as { statusCode?: number; code?: string }
      if (!e.statusCode || e.statusCode >= 500) throw err
      return reply.redirect(`${back}?error=${encodeURIComponent(e.code ?? 'APP_ERR_BAD_REQUEST')}`, 303)
    }
  }
  const refusal = (request: FastifyRequest, code: string) =>
    code ? texts(request.lang)(ERROR_KEYS[code] ?? 'page.error.invalid') : ''

  // The history changes only with a new event or a new bucket: many open dashboards share one query.
  let chartCache: { key: string; points: BacklogPoint[] } | undefined
  async function chart(request: FastifyRequest) {
    const key = `${await latestEventId(app.db)}:${Math.floor(Date.now() / (CHART.bucketMinutes * 60_000))}`
    if (chartCache?.key !== key) chartCache = { key, points: await backlogHistory(app.db, CHART) }
    return chartView(chartCache.points, { ...view(request), ...CHART })
  }
  const summary = async (request: FastifyRequest) => dashboardView(await backlogSummary(app.db, options), view(request))

  app.get('/coordinator', async (request, reply) => {
    if (!(await session(request, reply))) return reply
    const [parts, picture] = await Promise.all([summary(request), chart(request)])
    return reply.page('coordinator-dashboard', { ...parts, chart: picture, timeZone: config.TIME_ZONE, zone: picture.zone })
  })

  // The dashboard's parts alone, for its script to swap in when the stream says something changed.
  app.get('/coordinator/live/:part', async (request: FastifyRequest<{ Params: { part: string } }>, reply) => {
    if (!(await session(request, reply))) return reply
    if (request.params.part === 'summary') return reply.page('coordinator-summary', await summary(request))
    if (request.params.part === 'chart') return reply.page('coordinator-chart', { chart: await chart(request) })
    throw new Errors.ROUTE_NOT_FOUND(request.method, request.url)
  })

  app.get('/coordinator/requests', async (request: FastifyRequest<{ Querystring: Form }>, reply) => {
    if (!(await session(request, reply))) return reply
    const q = request.query
    const t = texts(request.lang)
    // The API's rules for each filter (bounds, no NUL); one that breaks its rule is left out.
    const filters = lenientListFilters({
      state: one(q.state),
      language: one(q.language),
      priority: one(q.priority),
      city: one(q.city),
      reference: one(q.reference),
      cursor: one(q.cursor),
    })
    const page = await listRequests(app.db, {
      ...filters,
      // A place as people write it ("Алма-Ата", "Almaty") finds its key, as intake files it.
      city: filters.city?.trim() ? cityKey(filters.city) : undefined,
      reference: filters.reference?.toUpperCase().replace(/[\s-]/g, '') || undefined,
      limit: 50,
    })
    const items = page.items.map((r) => ({
      reference: r.reference,
      ref: formatReference(r.reference),
      escalated: r.escalated,
      priority: r.priority,
      stateName: stateName(t, r.status),
      language: languageName(t, r.language),
      place: placeName(r.cityKey, request.lang),
      received: timeOf(r.createdAt, view(request)),
      receivedIso: r.createdAt,
    }))
    const shown = {
      state: filters.state ?? '',
      language: filters.language ?? '',
      priority: filters.priority ? String(filters.priority) : '',
      city: one(q.city).slice(0, 100),
      reference: one(q.reference).slice(0, 16),
    }
    const next = page.nextCursor ? `?${new URLSearchParams({ ...shown, cursor: page.nextCursor })}` : null
    const states = REQUEST_STATES.map((s) => ({ key: s, name: stateName(t, s) }))
    const langs = LANGUAGES.map((code) => ({ code, name: languageName(t, code) }))
    return reply.page('coordinator-requests', { items, filters: shown, next, states, langs })
  })

  app.get(
    '/coordinator/requests/:ref',
    async (request: FastifyRequest<{ Params: { ref: string }; Querystring: Form }>, reply) => {
      const me = await session(request, reply)
      if (!me) return reply
      const t = texts(request.lang)
      const reference = parseReference(request.params.ref)
      const found = reference ? await requestForCoordinator(app.db, reference) : null
      if (!found)
        return reply.page(
          'message',
          { heading: t('page.title'), text: t('page.status.notFound'), back: '/coordinator/requests' },
          404,
        )
      await audit(app.db, { accountId: me.id, action: 'request.read', requestId: found.id })
      return reply.page('coordinator-request', {
        r: {
          ...found,
          ref: formatReference(found.reference),
          stateName: stateName(t, found.status),
          place: placeName(found.relative.cityKey, request.lang),
          received: timeOf(found.createdAt, view(request)),
          closed: found.closedAt && timeOf(found.closedAt, view(request)),
          flags: (['elderly', 'medical', 'children', 'disability'] as const)
            .filter((f) => found.flags[f])
            .map((f) => t(`page.flag.${f}`)),
          requesters: found.requesters.map(
            (q: { name: string | null; phone: string | null; language: string; notifyVia: string }) => ({
              ...q,
              language: languageName(t, q.language),
              via: q.notifyVia === 'voice' ? t('page.notifyVia.voice') : t('page.notifyVia.sms'),
            }),
          ),
          history: historyEntries(found.events, view(request)),
        },
        done: Boolean(request.query.done),
        error: refusal(request, one(request.query.error)),
        csrf: reply.generateCsrf(),
      })
    },
  )

  const post = { preHandler: app.csrfProtection }
  type Act = FastifyRequest<{ Params: { ref: string }; Body: Form }>
  const acting = async (request: Act, reply: FastifyReply, fn: (me: Account) => Promise<unknown>) => {
    const me = await session(request, reply)
    if (!me) return reply
    return action(reply, `/coordinator/requests/${encodeURIComponent(request.params.ref)}`, () => fn(me))
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
      place: placeName(g.cityKey, request.lang),
      refs: g.references.map((r) => ({ raw: r, ref: formatReference(r) })),
    }))
    return reply.page('coordinator-duplicates', { groups, csrf: reply.generateCsrf() })
  })

  volunteerPages(app, { deps, session, action, refusal })
}
export default coordinator
