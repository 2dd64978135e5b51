import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { partnerOfAccount, partnerOfKey } from '../../db/partner-repository.js'
import { AuthErrors } from '../../errors.js'
import { sessionCredential } from '../../plugins/auth.js'
import { hashToken } from '../../services/auth.js'
import { isPartnerKey } from '../../services/partners.js'
import type { PartnerCaller } from '../../services/referrals-partner.js'

declare module 'fastify' {
  interface FastifyRequest {
    partnerCaller: PartnerCaller | null
  }
}

/**
 * preHandler of the partner API: a partner key (`Authorization: Bearer bpk_…`) or the session of
 * a partner account. Either way the caller is bound to one partner, and every query below is
 * scoped to it. A revoked key, or a key of a deactivated partner, is 401.
 */
export function partnerCaller(app: FastifyInstance) {
  const asPartnerAccount = app.requireRole('partner')
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const credential = sessionCredential(request)
    if (credential?.via === 'bearer' && isPartnerKey(credential.token)) {
      const found = await partnerOfKey(app.db, hashToken(credential.token))
      if (!found) throw new AuthErrors.UNAUTHENTICATED()
      request.partnerCaller = found
      request.log = request.log.child({ partnerId: found.partnerId, keyId: found.keyId })
      return
    }
    await asPartnerAccount(request, reply)
    const accountId = request.account?.id as string
    const partnerId = await partnerOfAccount(app.db, accountId)
    if (!partnerId) throw new AuthErrors.FORBIDDEN()
    request.partnerCaller = { partnerId, accountId }
  }
}

/** Rate limits count per key (or per session), so one partner's script cannot starve another's. */
export const perCaller = (max: number) => ({
  rateLimit: {
    max,
    timeWindow: 60_000,
    keyGenerator: (request: FastifyRequest) => {
      const credential = sessionCredential(request)
      return credential ? `partner:${hashToken(credential.token)}` : `ip:${request.ip}`
    },
  },
})
