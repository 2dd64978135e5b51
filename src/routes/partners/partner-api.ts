import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Config } from '../../config.js'
import { FeedQuery, PfifNoteBody, ReferralIdParams } from '../../schemas/partners.js'
import { pfifFeed, pfifRecord } from '../../services/partners-pfif.js'
import {
  acceptCase,
  declineCase,
  doneCase,
  getCase,
  listCases,
  type PartnerCaller,
  postNote,
} from '../../services/referrals-partner.js'
import { partnerCaller, perCaller } from './caller.js'

/**
 * The partner API, by key or by a partner account's session: only the cases referred to the
 * caller's partner, and of each only what the family's consent allows. Reads are audited.
 */
const partnerApi: FastifyPluginAsyncZod<{ config: Config }> = async (app, { config }) => {
  app.decorateRequest('partnerCaller', null)
  app.addHook('preHandler', partnerCaller(app))
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store')
  })
  const caller = (request: { partnerCaller: PartnerCaller | null }) => request.partnerCaller as PartnerCaller
  const tags = ['partner']
  const limited = { config: perCaller(120) }
  const Params = ReferralIdParams

  app.get(
    '/api/v1/partner/referrals',
    {
      schema: {
        tags,
        summary: 'Cases referred to you',
        querystring: z.object({ state: z.enum(['open', 'all']).default('open') }),
      },
      ...limited,
    },
    async (request) => ({ referrals: await listCases(app.db, caller(request), { open: request.query.state === 'open' }) }),
  )
  app.get('/api/v1/partner/referrals/:id', { schema: { tags, params: Params }, ...limited }, async (request) =>
    getCase(app.db, caller(request), request.params.id),
  )
  app.post('/api/v1/partner/referrals/:id/accept', { schema: { tags, params: Params }, ...limited }, async (request) =>
    acceptCase(app.db, caller(request), request.params.id),
  )
  app.post('/api/v1/partner/referrals/:id/decline', { schema: { tags, params: Params }, ...limited }, async (request) =>
    declineCase(app.db, caller(request), request.params.id),
  )
  app.post('/api/v1/partner/referrals/:id/done', { schema: { tags, params: Params }, ...limited }, async (request) =>
    doneCase(app.db, caller(request), request.params.id),
  )
  app.post(
    '/api/v1/partner/referrals/:id/notes',
    { schema: { tags, summary: 'A PFIF 1.4 note on a search case', params: Params, body: PfifNoteBody }, ...limited },
    async (request, reply) => reply.code(201).send(await postNote(app.db, caller(request), request.params.id, request.body)),
  )
  const deps = { db: app.db, config }
  app.get('/api/v1/partner/referrals/:id/pfif', { schema: { tags, params: Params }, ...limited }, async (request, reply) =>
    reply.type('application/xml; charset=utf-8').send(await pfifRecord(deps, caller(request), request.params.id)),
  )
  app.get(
    '/api/v1/partner/pfif',
    { schema: { tags, summary: 'Your search cases as PFIF 1.4, changed since `since`', querystring: FeedQuery }, ...limited },
    async (request, reply) => {
      const since = request.query.since ? new Date(request.query.since) : undefined
      const feed = await pfifFeed(deps, caller(request), since)
      if (feed.next) reply.header('x-pfif-next-since', feed.next)
      return reply.type('application/xml; charset=utf-8').send(feed.xml)
    },
  )
}
export default partnerApi
