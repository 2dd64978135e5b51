import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { z } from 'zod'
import { type Account, findAccount, listVolunteers } from '../../db/account-repository.js'
import { leasesOfAccount } from '../../db/lease-repository.js'
import { LANGUAGES, type Language } from '../../domain/request-states.js'
import { AuthErrors, Errors } from '../../errors.js'
import { CreateVolunteerRoute, VolunteerIdParams } from '../../schemas/accounts.js'
import type { TaskDeps } from '../../services/tasks.js'
import { approveVolunteer, createVolunteer, editVolunteer, suspendVolunteer } from '../../services/volunteers.js'
import { type FieldError, languageName, texts, type VolunteerField, volunteerFormView } from './coordinator-view.js'

type Form = Record<string, string | string[] | undefined>
type Tools = {
  deps: TaskDeps
  session: (request: FastifyRequest, reply: FastifyReply) => Promise<Account | null>
  action: (reply: FastifyReply, back: string, fn: () => Promise<unknown>) => Promise<FastifyReply>
  refusal: (request: FastifyRequest, code: string) => string
}

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? ''
const many = (v: string | string[] | undefined) => (Array.isArray(v) ? v : v ? [v] : [])
const BACK = '/coordinator/volunteers'

/** A schema issue as the coordinator reads it at its field (by field and code, never by wording). */
function fieldError(issue: z.core.$ZodIssue, value: string): [VolunteerField, FieldError] | undefined {
  const field = issue.path[0]
  if (field !== 'name' && field !== 'phone' && field !== 'password' && field !== 'languages') return undefined
  const code = 'APP_ERR_VALIDATION'
  if (field === 'languages') return [field, { key: 'page.coord.err.languages', code }]
  if (field === 'password')
    return [field, { key: issue.code === 'too_big' ? 'page.error.tooLong' : 'page.coord.err.password', code }]
  if (!value.trim()) return [field, { key: 'page.error.required', code }]
  if (issue.code === 'too_big') return [field, { key: 'page.error.tooLong', code }]
  return [field, { key: field === 'phone' ? 'page.error.phone' : 'page.error.invalid', code }]
}

/**
 * The volunteers page: the list with approve, suspend (destructive: a page of its own to confirm
 * it, which works without JavaScript) and languages; the add form, judged by the API's own schema
 * and src/services/volunteers.ts, with each error at its field and what was typed kept.
 */
export default function volunteerPages(app: FastifyInstance, { deps, session, action, refusal }: Tools) {
  const post = { preHandler: app.csrfProtection }

  async function listPage(
    request: FastifyRequest<{ Querystring: Form }>,
    reply: FastifyReply,
    form: {
      values?: Parameters<typeof volunteerFormView>[0]
      errors?: Partial<Record<VolunteerField, FieldError>>
      status?: number
    } = {},
  ) {
    const t = texts(request.lang)
    const volunteers = (await listVolunteers(deps.db)).map((v) => ({
      ...v,
      status: t(`page.coord.vstatus.${v.status}`),
      raw: v.status,
      languageNames: v.languages.map((l) => languageName(t, l)).join(', '),
      holdingText: v.holding > 0 ? t('page.coord.holding', { count: v.holding }) : '',
    }))
    return reply.page(
      'coordinator-volunteers',
      {
        volunteers,
        langs: LANGUAGES.map((code) => ({ code, name: languageName(t, code) })),
        form: volunteerFormView(form.values ?? {}, form.errors ?? {}, request.lang),
        csrf: reply.generateCsrf(),
        error: refusal(request, one(request.query?.error)),
        done: Boolean(request.query?.done),
      },
      form.status ?? 200,
    )
  }

  app.get(BACK, async (request: FastifyRequest<{ Querystring: Form }>, reply) => {
    if (!(await session(request, reply))) return reply
    return listPage(request, reply)
  })

  app.post(BACK, post, async (request: FastifyRequest<{ Body: Form; Querystring: Form }>, reply) => {
    const me = await session(request, reply)
    if (!me) return reply
    const values = {
      name: one(request.body.name),
      phone: one(request.body.phone),
      password: one(request.body.password),
      languages: many(request.body.languages),
    }
    const parsed = CreateVolunteerRoute.body.safeParse(values)
    if (!parsed.success) {
      const errors: Partial<Record<VolunteerField, FieldError>> = {}
      for (const issue of parsed.error.issues) {
        const found = fieldError(issue, String(values[issue.path[0] as 'name'] ?? ''))
        if (found && !errors[found[0]]) errors[found[0]] = found[1]
      }
      return listPage(request, reply, { values, errors, status: 400 })
    }
    try {
      await createVolunteer(deps, me.id, parsed.data)
    } catch (err) {
      if (!(err instanceof AuthErrors.ACCOUNT_EXISTS)) throw err
      const errors = { phone: { key: 'page.coord.err.volunteerExists', code: err.code } as FieldError }
      return listPage(request, reply, { values, errors, status: 409 })
    }
    return reply.redirect(`${BACK}?done=1`, 303)
  })

  // Suspending ends the volunteer's calls and sessions at once: it is confirmed on a page of its own.
  app.get(`${BACK}/:id/suspend`, async (request: FastifyRequest<{ Params: { id: string }; Querystring: Form }>, reply) => {
    if (!(await session(request, reply))) return reply
    const id = VolunteerIdParams.shape.id.safeParse(request.params.id)
    const account = id.success ? await findAccount(deps.db, id.data) : null
    if (account?.role !== 'volunteer') return reply.redirect(`${BACK}?error=${new AuthErrors.ACCOUNT_NOT_FOUND().code}`, 303)
    const holding = (await leasesOfAccount(deps.db, account.id)).length
    return reply.page('coordinator-suspend', { v: account, holding, csrf: reply.generateCsrf() })
  })

  app.post(
    `${BACK}/:id/:change`,
    post,
    async (request: FastifyRequest<{ Params: { id: string; change: string }; Body: Form }>, reply) => {
      const me = await session(request, reply)
      if (!me) return reply
      const { id, change } = request.params
      if (change === 'suspend' && one(request.body.confirm) !== 'yes')
        return reply.redirect(`${BACK}/${encodeURIComponent(id)}/suspend`, 303)
      return action(reply, BACK, async () => {
        if (!VolunteerIdParams.shape.id.safeParse(id).success) throw new AuthErrors.ACCOUNT_NOT_FOUND()
        if (change === 'approve') return approveVolunteer(deps, me.id, id)
        if (change === 'suspend') return suspendVolunteer(deps, me.id, id)
        if (change !== 'languages') throw new AuthErrors.ACCOUNT_NOT_FOUND()
        const languages = CreateVolunteerRoute.body.shape.languages.safeParse(many(request.body.languages))
        if (!languages.success)
          throw Object.assign(new Errors.FIELD(), {
            fieldErrors: [{ path: 'languages', message: 'needs at least one language' }],
          })
        return editVolunteer(deps, me.id, id, { languages: languages.data as Language[] })
      })
    },
  )
}
