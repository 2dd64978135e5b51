import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Config } from '../../config.js'
import {
  type Account,
  audit,
  editVolunteer,
  insertAccount,
  listVolunteers,
  setAvailable,
  setStatus,
} from '../../db/account-repository.js'
import { leasesOfAccount } from '../../db/lease-repository.js'
import { revokeAllSessions } from '../../db/session-repository.js'
import { AuthErrors } from '../../errors.js'
import {
  AccountSchema,
  AvailabilityRoute,
  CreateVolunteerRoute,
  EditVolunteerRoute,
  VolunteerIdParams,
} from '../../schemas/accounts.js'
import { hashPassword } from '../../services/auth.js'
import { endLeaseNow } from '../../services/tasks.js'

/** Coordinators add, approve and suspend volunteers; volunteers mark themselves available. */
const volunteers: FastifyPluginAsyncZod<{ config: Config }> = async (app, { config }) => {
  const coordinator = app.requireRole('coordinator')
  const me = (request: { account: Account | null }) => request.account as Account
  const deps = { db: app.db, redis: app.redis, checkins: app.checkins, log: app.log, config }

  app.post('/api/v1/volunteers', { schema: CreateVolunteerRoute, preHandler: coordinator }, async (request, reply) => {
    const { name, phone, email, languages, password } = request.body
    const created = await insertAccount(app.db, {
      role: 'volunteer',
      name,
      phone: phone.e164,
      email,
      languages: [...new Set(languages)],
      passwordHash: await hashPassword(password),
      status: 'pending',
    })
    if (!created) throw new AuthErrors.ACCOUNT_EXISTS()
    await audit(app.db, { accountId: me(request).id, action: 'volunteer.created', data: { volunteer: created.id } })
    return reply.code(201).send({ id: created.id, status: 'pending' as const })
  })

  const statusChange = () => ({
    schema: { tags: ['volunteers'], params: VolunteerIdParams, response: { 200: AccountSchema } },
    preHandler: coordinator,
  })

  app.post('/api/v1/volunteers/:id/approve', statusChange(), async (request) => {
    const account = await setStatus(app.db, request.params.id, 'approved')
    if (!account) throw new AuthErrors.ACCOUNT_NOT_FOUND()
    await audit(app.db, { accountId: me(request).id, action: 'volunteer.approved', data: { volunteer: account.id } })
    return account
  })

  // Suspension ends the volunteer's leases at once (their requests go back) and their sessions.
  app.post('/api/v1/volunteers/:id/suspend', statusChange(), async (request) => {
    const account = await setStatus(app.db, request.params.id, 'suspended')
    if (!account) throw new AuthErrors.ACCOUNT_NOT_FOUND()
    for (const lease of await leasesOfAccount(app.db, account.id))
      await endLeaseNow(deps, lease, { type: 'coordinator', id: me(request).id })
    await revokeAllSessions(app.db, account.id)
    await audit(app.db, { accountId: me(request).id, action: 'volunteer.suspended', data: { volunteer: account.id } })
    return account
  })

  app.get(
    '/api/v1/volunteers',
    { schema: { tags: ['volunteers'], summary: 'All volunteers (coordinators)' }, preHandler: coordinator },
    async () => ({
      volunteers: await listVolunteers(app.db),
    }),
  )

  app.patch('/api/v1/volunteers/:id', { schema: EditVolunteerRoute, preHandler: coordinator }, async (request) => {
    const account = await editVolunteer(app.db, request.params.id, {
      ...request.body,
      languages: request.body.languages && [...new Set(request.body.languages)],
    }).catch((err: { code?: string }) => {
      // 23505 unique_violation: the email is another account's (found by the fuzz run; was a 500).
      throw err.code === '23505' ? new AuthErrors.ACCOUNT_EXISTS() : err
    })
    if (!account) throw new AuthErrors.ACCOUNT_NOT_FOUND()
    await audit(app.db, {
      accountId: me(request).id,
      action: 'volunteer.edited',
      data: { volunteer: account.id, fields: Object.keys(request.body) },
    })
    return account
  })

  app.post(
    '/api/v1/volunteers/me/availability',
    { schema: AvailabilityRoute, preHandler: app.requireRole('volunteer') },
    async (request) => {
      if (me(request).status !== 'approved') throw new AuthErrors.NOT_APPROVED()
      return (await setAvailable(app.db, me(request).id, request.body.available)) as Account
    },
  )
}
export default volunteers
