import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Config } from '../../config.js'
import type { Account } from '../../db/account-repository.js'
import { audit } from '../../db/account-repository.js'
import { requestForCoordinator } from '../../db/coordination-repository.js'
import { parseReference } from '../../domain/reference.js'
import { Errors } from '../../errors.js'
import { sessionToken } from '../../plugins/auth.js'
import { RequestStatusRoute } from '../../schemas/requests.js'
import { requesterStatus } from '../../services/status.js'

/**
 * `GET /api/v1/requests/:reference?phone=…`: the requester's view. An unknown reference, a
 * malformed one and a phone that does not match all give the same 404. Without `phone`, with a
 * coordinator's session: the request in full with its history, an audited read.
 */
const status: FastifyPluginAsyncZod<{ config: Config }> = async (app, { config }) => {
  app.get(
    '/api/v1/requests/:reference',
    { schema: RequestStatusRoute, config: { rateLimit: { max: 60, timeWindow: 60_000 } } },
    async (request, reply) => {
      const reference = parseReference(request.params.reference)
      if (request.query.phone === undefined) {
        // Without a phone: a coordinator's full view, or a clear error for a requester.
        if (!sessionToken(request))
          throw Object.assign(new Errors.FIELD(), { fieldErrors: [{ path: 'phone', message: 'is required' }] })
        await app.requireRole('coordinator')(request, reply)
        const found = reference ? await requestForCoordinator(app.db, reference) : null
        if (!found) throw new Errors.NOT_FOUND()
        await audit(app.db, { accountId: (request.account as Account).id, action: 'request.read', requestId: found.id })
        return found
      }
      const found = await requesterStatus(
        { db: app.db, config },
        { reference: request.params.reference, phone: request.query.phone },
      )
      if (!found) throw new Errors.NOT_FOUND()
      return {
        reference: found.reference,
        status: found.status,
        createdAt: found.createdAt.toISOString(),
        updatedAt: found.updatedAt.toISOString(),
        latestOutcome: found.latestOutcome && { outcome: found.latestOutcome.outcome, at: found.latestOutcome.at.toISOString() },
        attempts: found.attempts,
        messageToRequester: found.messageToRequester,
        nextAttemptAt: found.nextAttemptAt?.toISOString() ?? null,
      }
    },
  )
}
export default status
