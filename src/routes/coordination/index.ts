import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Config } from '../../config.js'
import type { Account } from '../../db/account-repository.js'
import { duplicateSuggestions, listRequests } from '../../db/coordination-repository.js'
import { text } from '../../schemas/common.js'
import { RequestListQuery, RequestRefParams } from '../../schemas/coordination.js'
import { cancelByCoordinator, changePriority, endLeaseByCoordinator, merge, requeue } from '../../services/coordination.js'

const Ref = RequestRefParams
const ListQuery = RequestListQuery

/**
 * The coordinators' levers over requests, as JSON: list and filter (reading one in full is
 * `GET /api/v1/requests/:reference` with a coordinator's session, in routes/status), change its
 * priority, cancel, merge a duplicate, put it back in the queue, end a lease; and the suggested
 * duplicates. The actions live in services/coordination.ts, shared with the dashboard pages.
 */
const coordination: FastifyPluginAsyncZod<{ config: Config }> = async (app, { config }) => {
  const deps = { db: app.db, redis: app.redis, checkins: app.checkins, log: app.log, config }
  app.addHook('preHandler', app.requireRole('coordinator'))
  const me = (request: { account: Account | null }) => (request.account as Account).id
  const tags = ['coordination']

  app.get(
    '/api/v1/requests',
    { schema: { tags, summary: 'Requests, filtered, newest first', querystring: ListQuery } },
    async (request) => {
      const { city, reference, ...filters } = request.query
      return listRequests(app.db, {
        ...filters,
        city: city?.toLowerCase(),
        reference: reference?.toUpperCase().replace(/[\s-]/g, ''),
      })
    },
  )

  app.get(
    '/api/v1/requests/duplicates',
    { schema: { tags, summary: 'Open requests that may be about the same person' } },
    async () => ({
      suggestions: await duplicateSuggestions(app.db),
    }),
  )

  const Priority = z.strictObject({
    priority: z.number().int().min(1, 'must be 1 (most urgent) to 10').max(10, 'must be 1 (most urgent) to 10'),
  })
  app.post('/api/v1/requests/:id/priority', { schema: { tags, params: Ref, body: Priority } }, async (request) =>
    changePriority(deps, me(request), request.params.id, request.body.priority),
  )

  const Cancel = z.strictObject({ reason: text(300).refine((s) => s.length > 0, 'is required') })
  app.post('/api/v1/requests/:id/cancel', { schema: { tags, params: Ref, body: Cancel } }, async (request) =>
    cancelByCoordinator(deps, me(request), request.params.id, request.body.reason),
  )

  const Merge = z.strictObject({ into: z.string().min(1).max(32) })
  app.post('/api/v1/requests/:id/merge', { schema: { tags, params: Ref, body: Merge } }, async (request) =>
    merge(deps, me(request), request.params.id, request.body.into),
  )

  app.post('/api/v1/requests/:id/requeue', { schema: { tags, params: Ref } }, async (request) =>
    requeue(deps, me(request), request.params.id),
  )

  app.post('/api/v1/requests/:id/end-lease', { schema: { tags, params: Ref } }, async (request) =>
    endLeaseByCoordinator(deps, me(request), request.params.id),
  )
}
export default coordination
