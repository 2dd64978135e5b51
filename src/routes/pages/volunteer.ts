import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { parsePhoneNumberFromString } from 'libphonenumber-js/max'
import { type Config, redisKeyPrefix } from '../../config.js'
import { type Account, setAvailable } from '../../db/account-repository.js'
import { leaseOfAccount } from '../../db/lease-repository.js'
import { findSessionAccount, revokeSession } from '../../db/session-repository.js'
import { type MessageKey, message } from '../../domain/messages/index.js'
import { formatReference, parseReference } from '../../domain/reference.js'
import type { Language } from '../../domain/request-states.js'
import { formatTime, zoneLabel } from '../../domain/time.js'
import { AuthErrors, Errors, TaskErrors } from '../../errors.js'
import { SESSION_COOKIE, sessionToken } from '../../plugins/auth.js'
import { NEEDS, OutcomeRoute } from '../../schemas/tasks.js'
import { hashToken, login } from '../../services/auth.js'
import { startBridgedCall } from '../../services/bridge.js'
import { referralOfForm, referralView } from '../../services/referrals-form.js'
import { claim, getTask, heartbeat, release, submitOutcome, type Task } from '../../services/tasks.js'

type Form = Record<string, string | string[] | undefined>
type Notice = { key: MessageKey; ok?: boolean }
type Params = { reference: string }

/** Where each role's pages begin: one login page for all. */
const homeOf = (role: string) => (role === 'coordinator' ? '/coordinator' : role === 'partner' ? '/partner' : '/volunteer')

const OUTCOMES = ['reached_safe', 'reached_needs_help', 'no_answer', 'busy', 'wrong_number'] as const
const FLAGS = ['elderly', 'medical', 'children', 'disability'] as const
/** What the console may confirm after a redirect (`?done=`): an outcome's resulting state, or a release. */
const DONE = ['reached_safe', 'reached_needs_help', 'wrong_number', 'queued', 'unreachable', 'released'] as const
const TASK_NOTICES: Record<string, Notice> = {
  calling: { key: 'page.volunteer.call.started', ok: true },
  callFailed: { key: 'page.volunteer.call.failed' },
  extended: { key: 'page.volunteer.lease.extended', ok: true },
}
const LANGUAGE_NAMES: Record<Language, string> = { kk: 'Қазақша', ru: 'Русский', en: 'English' }

/** A form field as one string; line ends as the browser counted them (a form sends CRLF). */
const field = (form: Form, name: string) => {
  const value = form[name]
  return typeof value === 'string' ? value.replace(/\r\n/g, '\n') : ''
}

const SLOT = '\u2063'
/**
 * A text with one value (a name, a reference) cut out of it, so that the template can mark that
 * value `translate="no"`: it is a person's or a machine's, not the page's language.
 */
function around(lang: Language, key: MessageKey, name: string, value: string) {
  const [before = '', after = ''] = message(lang, key, { [name]: SLOT }).split(SLOT)
  return { before, value, after }
}

/** The task card's content, in the page's language and the service's zone; the template only places it. */
function taskCard(task: Task, lang: Language, timeZone: string) {
  const t = (key: MessageKey) => message(lang, key)
  const phones = (
    [
      ['page.volunteer.task.phone', task.relative.phone],
      ['page.volunteer.task.altPhone', task.relative.altPhone],
    ] as const
  ).flatMap(([label, number]) =>
    // Grouped to read aloud; dialled and copied as E.164.
    number ? [{ label: t(label), number, shown: parsePhoneNumberFromString(number)?.formatInternational() ?? number }] : [],
  )
  return {
    reference: formatReference(task.reference),
    heading: around(lang, 'page.volunteer.task.title', 'reference', formatReference(task.reference)),
    raw: task.reference,
    name: task.relative.name ?? t('page.volunteer.task.nameUnknown'),
    nameGiven: task.relative.name !== null,
    relation: task.relative.relation,
    otherNames: task.relative.otherNames.join(', '),
    phones,
    city: task.relative.city,
    address: task.relative.address,
    notes: task.relative.notes,
    flags: FLAGS.filter((f) => task.flags[f]).map((f) => t(`page.flag.${f}`)),
    requester: task.requester.firstName ?? '—',
    language: LANGUAGE_NAMES[task.requester.language],
    requesters: task.requesters,
    recordings: task.recordings.map((kind) => ({
      label: t(`page.volunteer.task.recording.${kind}`),
      href: `/api/v1/tasks/${task.reference}/recordings/${kind}`,
    })),
    attempts: task.attempts.map((a) => ({
      at: formatTime(a.at, { language: lang, timeZone }),
      outcome: (OUTCOMES as readonly (string | null)[]).includes(a.outcome)
        ? t(`page.volunteer.outcome.${a.outcome}` as MessageKey)
        : t('page.volunteer.task.returned'),
    })),
    expiresIso: task.leaseExpiresAt,
    expiresAt: formatTime(task.leaseExpiresAt, { language: lang, timeZone, style: 'time' }),
    // console.js shows a time extended by a heartbeat the same way: this zone, this label.
    timeZone,
    zone: zoneLabel(new Date(task.leaseExpiresAt), timeZone),
  }
}

/**
 * `/volunteer…`: the volunteer console as server-rendered pages. Every action is a plain form
 * POST with a CSRF token; /assets/console.js only adds the countdown, heartbeats, copy buttons
 * and the message counter. The session is the cookie the JSON login sets too.
 */
const volunteer: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  const deps = { db: app.db, redis: app.redis, checkins: app.checkins, log: app.log, config }
  const secure = config.PUBLIC_BASE_URL.startsWith('https:')
  const me = (request: FastifyRequest) => request.account as Account
  const t = (request: FastifyRequest, key: MessageKey, params?: Record<string, string | number>) =>
    message(request.lang, key, params)
  const ref = (request: FastifyRequest<{ Params: Params }>) => {
    const reference = parseReference(request.params.reference)
    if (!reference) throw new TaskErrors.TASK_NOT_FOUND()
    return reference
  }

  function renderLogin(
    reply: FastifyReply,
    options: { login?: string; errors?: Partial<Record<'login' | 'password', MessageKey>>; notice?: Notice; status?: number },
  ) {
    const errors = options.errors ?? {}
    const text = (key?: MessageKey) => key && t(reply.request, key)
    return reply.page(
      'volunteer-login',
      {
        title: t(reply.request, 'page.volunteer.title'),
        login: options.login ?? '',
        errors: { login: text(errors.login), password: text(errors.password) },
        focus: errors.login ? 'login' : errors.password || options.login ? 'password' : 'login',
        notice: options.notice && { text: t(reply.request, options.notice.key), ok: options.notice.ok },
        csrf: reply.generateCsrf(),
      },
      options.status ?? 200,
    )
  }

  /** A short page in place of the console: pending approval, or not a volunteer. */
  const notice = (reply: FastifyReply, key: MessageKey, status: number) =>
    reply.page(
      'volunteer-notice',
      { title: t(reply.request, 'page.volunteer.title'), text: t(reply.request, key), csrf: reply.generateCsrf() },
      status,
    )

  async function renderConsole(reply: FastifyReply, options: { notice?: Notice; status?: number } = {}) {
    const account = me(reply.request)
    const held = await leaseOfAccount(app.db, account.id)
    return reply.page(
      'volunteer-console',
      {
        title: t(reply.request, 'page.volunteer.title'),
        hello: around(reply.request.lang, 'page.volunteer.hello', 'name', account.name),
        available: account.available,
        held: held && {
          text: around(reply.request.lang, 'page.volunteer.holding', 'reference', formatReference(held.reference)),
          href: `/volunteer/task/${held.reference}`,
        },
        notice: options.notice && { text: t(reply.request, options.notice.key), ok: options.notice.ok },
        csrf: reply.generateCsrf(),
      },
      options.status ?? 200,
    )
  }

  async function renderTask(
    reply: FastifyReply,
    task: Task,
    options: { form?: Form; errors?: Record<string, MessageKey>; notice?: Notice; status?: number } = {},
  ) {
    const request = reply.request
    const form = options.form ?? {}
    const chosen = [form.needs ?? []].flat()
    const errors = Object.fromEntries(Object.entries(options.errors ?? {}).map(([k, v]) => [k, t(request, v)]))
    return reply.page(
      'volunteer-task',
      {
        title: t(request, 'page.volunteer.title'),
        task: taskCard(task, request.lang, config.TIME_ZONE),
        notice: options.notice && { text: t(request, options.notice.key), ok: options.notice.ok },
        outcomes: OUTCOMES.map((o) => ({ value: o, label: t(request, `page.volunteer.outcome.${o}`) })),
        needs: NEEDS.map((n) => ({ value: n, label: t(request, `page.volunteer.need.${n}`), checked: chosen.includes(n) })),
        message: field(form, 'messageToRequester'),
        note: field(form, 'note'),
        referral: referralView(request.lang, form),
        errors,
        csrf: reply.generateCsrf(),
      },
      options.status ?? 200,
    )
  }

  const sessionAccount = async (request: FastifyRequest) => {
    const token = sessionToken(request)
    return token ? findSessionAccount(app.db, hashToken(token)) : null
  }

  /** preHandler: a live volunteer session, or the way to one. */
  async function volunteerSession(request: FastifyRequest, reply: FastifyReply) {
    const account = await sessionAccount(request)
    if (!account) return reply.redirect('/volunteer/login', 303)
    request.account = account
    request.log = request.log.child({ accountId: account.id })
    if (account.role !== 'volunteer') return await notice(reply, 'page.volunteer.coordinator', 403)
    if (account.status !== 'approved') return await notice(reply, 'page.volunteer.pending', request.method === 'GET' ? 200 : 403)
  }
  const get = { preHandler: volunteerSession }
  const post = { preHandler: [app.csrfProtection, volunteerSession] }

  // The errors the console explains in its own words; anything else goes to the pages' handler.
  app.setErrorHandler(async (err: FastifyError, request, reply) => {
    if (err.statusCode === 429 && request.routeOptions.url === '/volunteer/login')
      return renderLogin(reply, { notice: { key: 'page.volunteer.login.limited' }, status: 429 })
    if (request.account?.role !== 'volunteer') throw err
    if (err instanceof TaskErrors.NO_LEASE) return renderConsole(reply, { notice: { key: 'page.volunteer.stale' }, status: 409 })
    if (err instanceof TaskErrors.TASK_NOT_FOUND)
      return renderConsole(reply, { notice: { key: 'page.volunteer.gone' }, status: 404 })
    if (err instanceof TaskErrors.NOT_AVAILABLE)
      return renderConsole(reply, { notice: { key: 'page.volunteer.needAvailable' }, status: 409 })
    throw err
  })

  app.get('/volunteer/login', async (request: FastifyRequest<{ Querystring: { out?: string } }>, reply) => {
    const current = await sessionAccount(request)
    if (current) return reply.redirect(homeOf(current.role), 303)
    return renderLogin(reply, { notice: request.query.out ? { key: 'page.volunteer.loggedOut', ok: true } : undefined })
  })

  // Per address, as the JSON login; the account's own lock is login()'s.
  const loginLimit = { rateLimit: { max: 20, timeWindow: 60_000 } }
  app.post('/volunteer/login', { preHandler: app.csrfProtection, config: loginLimit }, async (request, reply) => {
    const form = (request.body ?? {}) as Form
    const credentials = { login: field(form, 'login').trim().slice(0, 200), password: field(form, 'password').slice(0, 200) }
    if (!credentials.login || !credentials.password) {
      const errors = {
        login: credentials.login ? undefined : ('page.error.required' as const),
        password: credentials.password ? undefined : ('page.error.required' as const),
      }
      return renderLogin(reply, { login: credentials.login, errors, status: 400 })
    }
    let session: Awaited<ReturnType<typeof login>>
    try {
      const keyPrefix = redisKeyPrefix(config)
      session = await login({ db: app.db, redis: app.redis, keyPrefix, sessionHours: config.SESSION_HOURS }, credentials)
    } catch (err) {
      // The account's failure counter (Redis) says "locked"; wrong credentials are said at the field.
      if (err instanceof Errors.RATE_LIMITED)
        return renderLogin(reply, { login: credentials.login, notice: { key: 'page.volunteer.login.limited' }, status: 429 })
      if (err instanceof AuthErrors.BAD_CREDENTIALS)
        return renderLogin(reply, { login: credentials.login, errors: { password: 'page.volunteer.login.bad' }, status: 401 })
      throw err
    }
    request.log.info({ accountId: session.account.id, role: session.account.role }, 'logged in (page)')
    reply.setCookie(SESSION_COOKIE, session.token, {
      httpOnly: true,
      sameSite: 'lax',
      secure,
      path: '/',
      expires: session.expiresAt,
    })
    // One login page for both roles: coordinators go on to their dashboard.
    return reply.redirect(homeOf(session.account.role), 303)
  })

  app.post('/volunteer/logout', { preHandler: app.csrfProtection }, async (request, reply) => {
    const token = sessionToken(request)
    if (token) await revokeSession(app.db, hashToken(token))
    reply.clearCookie(SESSION_COOKIE, { path: '/' })
    return reply.redirect('/volunteer/login?out=1', 303)
  })

  app.get('/volunteer', get, async (request: FastifyRequest<{ Querystring: { done?: string; empty?: string } }>, reply) => {
    const done = (DONE as readonly string[]).includes(request.query.done ?? '') ? request.query.done : undefined
    if (done) return renderConsole(reply, { notice: { key: `page.volunteer.done.${done}` as MessageKey, ok: true } })
    return renderConsole(reply, { notice: request.query.empty ? { key: 'page.volunteer.empty', ok: true } : undefined })
  })

  app.post('/volunteer/availability', post, async (request, reply) => {
    await setAvailable(app.db, me(request).id, field(request.body as Form, 'available') === 'true')
    return reply.redirect('/volunteer', 303)
  })

  app.post('/volunteer/claim', post, async (request, reply) => {
    const task = await claim(deps, me(request))
    if (!task) return reply.redirect('/volunteer?empty=1', 303)
    request.log.info({ reference: task.reference }, 'task claimed (page)')
    return reply.redirect(`/volunteer/task/${task.reference}`, 303)
  })

  app.get(
    '/volunteer/task/:reference',
    get,
    async (request: FastifyRequest<{ Params: Params; Querystring: { notice?: string } }>, reply) => {
      const task = await getTask(deps, me(request), ref(request))
      return renderTask(reply, task, { notice: TASK_NOTICES[request.query.notice ?? ''] })
    },
  )

  app.post('/volunteer/task/:reference/heartbeat', post, async (request: FastifyRequest<{ Params: Params }>, reply) => {
    const reference = ref(request)
    await heartbeat(deps, me(request), reference)
    return reply.redirect(`/volunteer/task/${reference}?notice=extended`, 303)
  })

  app.post('/volunteer/task/:reference/call', post, async (request: FastifyRequest<{ Params: Params }>, reply) => {
    const reference = ref(request)
    const started = await startBridgedCall({ ...deps, twilio: app.twilio }, me(request), reference).catch((err) => {
      if (err instanceof TaskErrors.CALL_FAILED) return null
      throw err
    })
    return reply.redirect(`/volunteer/task/${reference}?notice=${started ? 'calling' : 'callFailed'}`, 303)
  })

  app.post('/volunteer/task/:reference/outcome', post, async (request: FastifyRequest<{ Params: Params }>, reply) => {
    const reference = ref(request)
    const form = (request.body ?? {}) as Form
    const outcome = field(form, 'outcome')
    const parsed = OutcomeRoute.body.safeParse({
      outcome,
      needs: outcome === 'reached_needs_help' ? [form.needs ?? []].flat() : undefined,
      messageToRequester: field(form, 'messageToRequester').trim() || undefined,
      note: field(form, 'note').trim() || undefined,
      referral: referralOfForm(form, outcome),
    })
    if (!parsed.success) {
      const errors: Record<string, MessageKey> = {}
      // By the issue's path and code, never its wording (messages change; codes are zod's API).
      for (const issue of parsed.error.issues) {
        const path = String(issue.path[0])
        errors[path] ??=
          path === 'outcome'
            ? 'page.volunteer.outcome.missing'
            : issue.code === 'too_big'
              ? 'page.error.tooLong'
              : 'page.error.invalid'
      }
      return renderTask(reply, await getTask(deps, me(request), reference), { form, errors, status: 400 })
    }
    const result = await submitOutcome(deps, me(request), reference, parsed.data)
    request.log.info({ reference, outcome: parsed.data.outcome, status: result.status }, 'outcome recorded (page)')
    return reply.redirect(`/volunteer?done=${result.status}`, 303)
  })

  app.post('/volunteer/task/:reference/release', post, async (request: FastifyRequest<{ Params: Params }>, reply) => {
    await release(deps, me(request), ref(request))
    return reply.redirect('/volunteer?done=released', 303)
  })
}
export default volunteer
