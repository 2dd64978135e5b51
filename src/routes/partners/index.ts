import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Config } from '../../config.js'
import type { Account } from '../../db/account-repository.js'
import { listPartners } from '../../db/partner-repository.js'
import { RequestRefParams } from '../../schemas/coordination.js'
import {
  AssignBody,
  KeyBody,
  PartnerAccountBody,
  PartnerBody,
  PartnerIdParams,
  PartnerKeyParams,
  PartnerPatch,
  ReferralIdParams,
} from '../../schemas/partners.js'
import { addPartnerAccount, editPartner, issueKey, keysOf, registerPartner, revokePartnerKey } from '../../services/partners.js'
import { assignReferral, handOff, proposals } from '../../services/referrals.js'
import deliveries from './deliveries.js'
import partnerApi from './partner-api.js'

/**
 * Coordinators register partners, their accounts and keys, choose who gets a case, and hand an
 * unreachable request to a search partner. Every change is audited (src/services/partners.ts).
 */
const partners: FastifyPluginAsyncZod<{ config: Config }> = async (app, { config }) => {
  const coordinator = { preHandler: app.requireRole('coordinator') }
  const me = (request: { account: Account | null }) => (request.account as Account).id
  const deps = { db: app.db }
  const tags = ['partners']

  app.get('/api/v1/partners', { schema: { tags, summary: 'All partners' }, ...coordinator }, async () => ({
    partners: await listPartners(app.db),
  }))

  app.post('/api/v1/partners', { schema: { tags, body: PartnerBody }, ...coordinator }, async (request, reply) =>
    reply.code(201).send(await registerPartner(deps, me(request), request.body)),
  )

  app.patch(
    '/api/v1/partners/:id',
    { schema: { tags, params: PartnerIdParams, body: PartnerPatch }, ...coordinator },
    async (request) => editPartner(deps, me(request), request.params.id, request.body),
  )

  app.post(
    '/api/v1/partners/:id/accounts',
    {
      schema: { tags, summary: 'A login for a partner’s staff', params: PartnerIdParams, body: PartnerAccountBody },
      ...coordinator,
    },
    async (request, reply) => {
      const account = await addPartnerAccount(deps, me(request), request.params.id, request.body)
      return reply.code(201).send({ id: account.id, role: account.role })
    },
  )

  app.get('/api/v1/partners/:id/keys', { schema: { tags, params: PartnerIdParams }, ...coordinator }, async (request) => ({
    keys: await keysOf(deps, request.params.id),
  }))

  app.post(
    '/api/v1/partners/:id/keys',
    { schema: { tags, summary: 'Issue an API key (shown once)', params: PartnerIdParams, body: KeyBody }, ...coordinator },
    async (request, reply) => reply.code(201).send(await issueKey(deps, me(request), request.params.id, request.body.label)),
  )

  app.delete(
    '/api/v1/partners/:id/keys/:keyId',
    { schema: { tags, params: PartnerKeyParams }, ...coordinator },
    async (request, reply) => {
      await revokePartnerKey(deps, me(request), request.params.id, request.params.keyId)
      return reply.code(204).send()
    },
  )

  app.get('/api/v1/referrals/:id/proposals', { schema: { tags, params: ReferralIdParams }, ...coordinator }, async (request) => ({
    partners: await proposals(app.db, request.params.id),
  }))

  app.post(
    '/api/v1/referrals/:id/assign',
    {
      schema: {
        tags,
        summary: 'Offer a case to another partner (null: keep it with coordinators)',
        params: ReferralIdParams,
        body: AssignBody,
      },
      ...coordinator,
    },
    async (request) => assignReferral(app.db, me(request), request.params.id, request.body.partnerId),
  )

  app.post(
    '/api/v1/requests/:id/hand-off',
    {
      schema: {
        tags,
        summary: 'Hand an unreachable request to a search partner',
        params: RequestRefParams,
      },
      ...coordinator,
    },
    async (request, reply) =>
      reply.code(201).send(await handOff(app.db, { type: 'coordinator', id: me(request) }, request.params.id)),
  )

  await app.register(deliveries, { config })
  await app.register(partnerApi, { config })
}
export default partners
