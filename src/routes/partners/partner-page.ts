import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../../config.js'
import { partnerOfAccount } from '../../db/partner-repository.js'
import { findSessionAccount } from '../../db/session-repository.js'
import { message } from '../../domain/messages/index.js'
import { formatReference } from '../../domain/reference.js'
import { sessionToken } from '../../plugins/auth.js'
import { hashToken } from '../../services/auth.js'
import { listCases } from '../../services/referrals-partner.js'

/**
 * A partner's page: its open cases, as the API gives them (consent decides what of the family is
 * shown) and audited the same way. Registered inside the pages plugin (layout, language, CSP).
 */
const partnerPage: FastifyPluginAsync<{ config: Config }> = async (app) => {
  app.get('/partner', async (request: FastifyRequest, reply: FastifyReply) => {
    const token = sessionToken(request)
    const account = token ? await findSessionAccount(app.db, hashToken(token)) : null
    if (!account) return reply.redirect('/volunteer/login', 303)
    const partnerId = account.role === 'partner' ? await partnerOfAccount(app.db, account.id) : null
    const t = (key: Parameters<typeof message>[1], params?: Record<string, string>) => message(request.lang, key, params)
    if (!partnerId) return reply.page('volunteer-notice', { text: t('page.partner.forbidden'), csrf: reply.generateCsrf() }, 403)
    const cases = await listCases(app.db, { partnerId, accountId: account.id })
    return reply.page('partner-cases', {
      title: t('page.partner.title'),
      csrf: reply.generateCsrf(),
      cases: cases.map((c) => ({
        ...c,
        ref: formatReference(c.reference),
        kind: t(`page.partner.kind.${c.kind}`),
        state: c.state === 'accepted' ? t('page.partner.state.accepted') : t('page.partner.state.offered'),
        categories: c.categories.map((k) => t(`page.referral.category.${k}`)).join(', '),
      })),
    })
  })
}
export default partnerPage
