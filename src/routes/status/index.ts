import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { findForRequester } from '../../db/request-repository.js'
import { normalisePhone } from '../../domain/phone.js'
import { parseReference } from '../../domain/reference.js'
import { Errors } from '../../errors.js'
import { RequestStatusRoute } from '../../schemas/requests.js'

/**
 * `GET /api/v1/requests/:reference?phone=…`: the requester's view. An unknown reference, a
 * malformed one and a phone that does not match all give the same 404.
 */
const status: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/v1/requests/:reference',
    { schema: RequestStatusRoute, config: { rateLimit: { max: 60, timeWindow: 60_000 } } },
    async (request) => {
      const reference = parseReference(request.params.reference)
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
