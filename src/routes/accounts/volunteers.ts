import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Config } from '../../config.js'
import { type Account, listVolunteers, setAvailable } from '../../db/account-repository.js'
import { AuthErrors } from '../../errors.js'
import {
  AccountSchema,
  AvailabilityRoute,
  CreateVolunteerRoute,
  EditVolunteerRoute,
  VolunteerIdParams,
} from '../../schemas/accounts.js'
import { approveVolunteer, createVolunteer, editVolunteer, suspendVolunteer } from '../../services/volunteers.js'

/**
 * Coordinators add, approve and suspend volunteers; volunteers mark themselves available. The
 * rules are src/services/volunteers.ts's, shared with the coordinator's pages.
 */
const volunteers: FastifyPluginAsyncZod<{ config: Config }> = async (app, { config }) => {
  const coordinator = app.requireRole('coordinator')
  const me = (request: { account: Account | null }) => request.account as Account
  const deps = { db: app.db, redis: app.redis, checkins: app.checkins, log: app.log, config }

  app.post('/api/v1/volunteers', { schema: CreateVolunteerRoute, preHandler: coordinator }, async (request, reply) => {
    const created = await createVolunteer(deps, me(request).id, request.body)
    return reply.code(201).send({ id: created.id, status: 'pending' as const })
  })

  const statusChange = () => ({
    schema: { tags: ['volunteers'], params: VolunteerIdParams, response: { 200: AccountSchema } },
    preHandler: coordinator,
  })
  app.post('/api/v1/volunteers/:id/approve', statusChange(), async (request) =>
    approveVolunteer(deps, me(request).id, request.params.id),
  )
  // Suspension ends the volunteer's leases at once (their requests go back) and their sessions.
  app.post('/api/v1/volunteers/:id/suspend', statusChange(), async (request) =>
    suspendVolunteer(deps, me(request).id, request.params.id),
  )

  app.get(
    '/api/v1/volunteers',
    { schema: { tags: ['volunteers'], summary: 'All volunteers (coordinators)' }, preHandler: coordinator },
    async () => ({ volunteers: await listVolunteers(app.db) }),
  )

  app.patch('/api/v1/volunteers/:id', { schema: EditVolunteerRoute, preHandler: coordinator }, async (request) =>
    editVolunteer(deps, me(request).id, request.params.id, request.body),
  )

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
