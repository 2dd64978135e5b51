import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Config } from '../../config.js'
import type { Account } from '../../db/account-repository.js'
import {
  coordinatorEvent,
  duplicateSuggestions,
  listRequests,
  lockRequest,
  mergeInto,
  reopen,
  setPriority,
} from '../../db/coordination-repository.js'
import { findLeaseOf } from '../../db/lease-repository.js'
import { addNotification } from '../../db/notification-repository.js'
import { withTransaction } from '../../db/pool.js'
import { cancelRequest } from '../../db/request-repository.js'
import { parseReference } from '../../domain/reference.js'
import { LANGUAGES, OPEN_STATES, REQUEST_STATES } from '../../domain/request-states.js'
import { CoordinationErrors } from '../../errors.js'
import { text } from '../../schemas/common.js'
import { endLeaseNow } from '../../services/tasks.js'

const Ref = z.object({ id: z.string().min(1).max(32) })
const ListQuery = z.strictObject({
  state: z.enum(REQUEST_STATES).optional(),
  city: z.string().max(100).optional(),
  language: z.enum(LANGUAGES).optional(),
  priority: z.coerce.number().int().min(1).max(100).optional(),
  minAgeMinutes: z.coerce.number().int().min(0).optional(),
  maxAgeMinutes: z.coerce.number().int().min(0).optional(),
  reference: z.string().max(16).optional(),
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, 'must be a cursor from nextCursor')
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
})

/**
 * The coordinators' levers over requests: list and filter (reading one in full is
 * `GET /api/v1/requests/:reference` with a coordinator's session, in routes/status), change its priority, cancel, merge a duplicate, put it back in the queue, end a lease; and the
 * suggested duplicates. Every action is an event with the coordinator as actor.
 */
const coordination: FastifyPluginAsyncZod<{ config: Config }> = async (app, { config }) => {
  const deps = { db: app.db, redis: app.redis, checkins: app.checkins, log: app.log, config }
  app.addHook('preHandler', app.requireRole('coordinator'))
  const me = (request: { account: Account | null }) => (request.account as Account).id
  const reference = (id: string) => {
    const ref = parseReference(id)
    if (!ref) throw new CoordinationErrors.REQUEST_NOT_FOUND()
    return ref
  }
  /** Runs an action on a locked request; 404 when there is none. */
  const act = <T>(
    id: string,
    fn: (
      client: import('pg').PoolClient,
      r: { id: string; status: (typeof REQUEST_STATES)[number]; priority: number },
    ) => Promise<T>,
  ) =>
    withTransaction(app.db, async (client) => {
      const locked = await lockRequest(client, reference(id))
      if (!locked) throw new CoordinationErrors.REQUEST_NOT_FOUND()
      return fn(client, locked)
    })

  app.get(
    '/api/v1/requests',
    { schema: { tags: ['coordination'], summary: 'Requests, filtered, newest first', querystring: ListQuery } },
    async (request) => {
      const { city, reference: ref, ...filters } = request.query
      return listRequests(app.db, { ...filters, city: city?.toLowerCase(), reference: ref?.toUpperCase().replace(/[\s-]/g, '') })
    },
  )

  app.get(
    '/api/v1/requests/duplicates',
    { schema: { tags: ['coordination'], summary: 'Open requests that may be about the same person' } },
    async () => ({
      suggestions: await duplicateSuggestions(app.db),
    }),
  )

  const Priority = z.strictObject({
    priority: z.number().int().min(1, 'must be 1 (most urgent) to 10').max(10, 'must be 1 (most urgent) to 10'),
  })
  app.post(
    '/api/v1/requests/:id/priority',
    { schema: { tags: ['coordination'], params: Ref, body: Priority } },
    async (request) =>
      act(request.params.id, async (client, r) => {
        if (!OPEN_STATES.includes(r.status)) throw new CoordinationErrors.NOT_OPEN(r.status)
        await setPriority(client, r.id, request.body.priority)
        await coordinatorEvent(client, {
          requestId: r.id,
          type: 'priority_changed',
          actorId: me(request),
          data: { from: r.priority, to: request.body.priority },
        })
        return { priority: request.body.priority }
      }),
  )

  const Cancel = z.strictObject({ reason: text(300).refine((s) => s.length > 0, 'is required') })
  app.post('/api/v1/requests/:id/cancel', { schema: { tags: ['coordination'], params: Ref, body: Cancel } }, async (request) => {
    const ref = reference(request.params.id)
    const lease = await findLeaseOf(app.db, ref)
    if (lease) await endLeaseNow(deps, lease, { type: 'coordinator', id: me(request) })
    return act(request.params.id, async (client, r) => {
      if (
        !(await cancelRequest(client, {
          requestId: r.id,
          actorType: 'coordinator',
          actorId: me(request),
          reason: request.body.reason,
        }))
      ) {
        throw new CoordinationErrors.NOT_OPEN(r.status)
      }
      await addNotification(client, { requestId: r.id, kind: 'cancelled' })
      return { status: 'cancelled' }
    })
  })

  const Merge = z.strictObject({ into: z.string().min(1).max(32) })
  app.post('/api/v1/requests/:id/merge', { schema: { tags: ['coordination'], params: Ref, body: Merge } }, async (request) => {
    const from = reference(request.params.id)
    const into = reference(request.body.into)
    if (from === into) throw new CoordinationErrors.SAME_REQUEST()
    const lease = await findLeaseOf(app.db, from)
    if (lease) await endLeaseNow(deps, lease, { type: 'coordinator', id: me(request) })
    return act(request.params.id, async (client, r) => {
      const target = await lockRequest(client, into)
      if (!target) throw new CoordinationErrors.REQUEST_NOT_FOUND()
      if (!OPEN_STATES.includes(r.status)) throw new CoordinationErrors.NOT_OPEN(r.status)
      if (!OPEN_STATES.includes(target.status)) throw new CoordinationErrors.NOT_OPEN(target.status)
      await mergeInto(client, { fromId: r.id, intoId: target.id, actorId: me(request), fromStatus: r.status })
      return { status: 'duplicate', into }
    })
  })

  app.post('/api/v1/requests/:id/requeue', { schema: { tags: ['coordination'], params: Ref } }, async (request) =>
    act(request.params.id, async (client, r) => {
      if (OPEN_STATES.includes(r.status) || r.status === 'duplicate') throw new CoordinationErrors.NOT_CLOSED(r.status)
      try {
        await client.query('SAVEPOINT reopen')
        await reopen(client, r.id)
      } catch (err) {
        // 23505: the relative has another open request (one open request per relative).
        if ((err as { code?: string }).code !== '23505') throw err
        await client.query('ROLLBACK TO SAVEPOINT reopen')
        throw new CoordinationErrors.RELATIVE_HAS_OPEN_REQUEST()
      }
      await coordinatorEvent(client, { requestId: r.id, type: 'requeued', actorId: me(request), from: r.status, to: 'queued' })
      return { status: 'queued' }
    }),
  )

  app.post('/api/v1/requests/:id/end-lease', { schema: { tags: ['coordination'], params: Ref } }, async (request) => {
    const lease = await findLeaseOf(app.db, reference(request.params.id))
    if (!lease) throw new CoordinationErrors.NO_LEASE_TO_END()
    await endLeaseNow(deps, lease, { type: 'coordinator', id: me(request) })
    return { status: 'queued' }
  })
}
export default coordination
