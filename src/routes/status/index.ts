import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Account } from '../../db/account-repository.js'
import { audit } from '../../db/account-repository.js'
import { requestForCoordinator } from '../../db/coordination-repository.js'
import { findForRequester } from '../../db/request-repository.js'
import { normalisePhone } from '../../domain/phone.js'
import { parseReference } from '../../domain/reference.js'
import { Errors } from '../../errors.js'
import { sessionToken } from '../../plugins/auth.js'
import { RequestStatusRoute } from '../../schemas/requests.js'

/**
 * `GET /api/v1/requests/:reference?phone=…`: the requester's view. An unknown reference, a
 * malformed one and a phone that does not match all give the same 404. Without `phone`, with a
 * coordinator's session: the request in full with its history, an audited read.
 */
const status: FastifyPluginAsyncZod = async (app) => {
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
      const phone = normalisePhone(request.query.phone)
      const found = reference && phone.ok ? await findForRequester(app.db, reference, phone.e164) : null
      if (!found) throw new Errors.NOT_FOUND()
      return {
        reference: found.reference,
        status: found.status,
        createdAt: found.createdAt.toISOString(),
        updatedAt: found.updatedAt.toISOString(),
        latestOutcome: found.latestOutcome && { outcome: found.latestOutcome.outcome, at: found.latestOutcome.at.toISOString() },
      }
    },
  )
}
export default status
