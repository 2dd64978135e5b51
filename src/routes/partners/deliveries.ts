import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Config } from '../../config.js'
import { type Account, audit } from '../../db/account-repository.js'
import { listDeliveries, replayDelivery } from '../../db/partner-delivery-repository.js'
import { PartnerErrors } from '../../errors.js'
import { DeliveriesQuery, ReferralIdParams } from '../../schemas/partners.js'

/**
 * Webhook pushes to partners as coordinators see them: the dead letters (every retry failed)
 * and a replay that sends one again from its first attempt, under the same delivery id.
 */
const deliveries: FastifyPluginAsyncZod<{ config: Config }> = async (app) => {
  const coordinator = { preHandler: app.requireRole('coordinator') }
  const tags = ['partners']
  app.get('/api/v1/partner-deliveries', { schema: { tags, querystring: DeliveriesQuery }, ...coordinator }, async (request) => ({
    deliveries: await listDeliveries(app.db, request.query.state),
  }))
  app.post(
    '/api/v1/partner-deliveries/:id/replay',
    { schema: { tags, summary: 'Send a dead delivery again', params: ReferralIdParams }, ...coordinator },
    async (request, reply) => {
      if (!(await replayDelivery(app.db, request.params.id))) throw new PartnerErrors.DELIVERY_NOT_FOUND()
      await audit(app.db, {
        accountId: (request.account as Account).id,
        action: 'partner.delivery_replayed',
        data: { delivery: request.params.id },
      })
      return reply.code(202).send({ id: request.params.id, state: 'pending' as const })
    },
  )
}
export default deliveries
