import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { type Config, redisKeyPrefix } from '../../config.js'
import { Errors } from '../../errors.js'
import { CreateRequestRoute } from '../../schemas/requests.js'
import { createRequest, fromApiBody } from '../../services/intake.js'
import { hitPhoneLimit } from '../../services/phone-limit.js'

const IDEMPOTENCY_KEY = /^[\x21-\x7E]{1,255}$/

/** `POST /api/v1/requests`: the public intake. */
const intake: FastifyPluginAsyncZod<{ config: Config }> = async (app, { config }) => {
  app.post(
    '/api/v1/requests',
    { schema: CreateRequestRoute, config: { rateLimit: { max: config.RATE_LIMIT_PER_IP_PER_MINUTE, timeWindow: 60_000 } } },
    async (request, reply) => {
      const key = request.headers['idempotency-key']
      if (key !== undefined && (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key))) throw new Errors.INVALID_IDEMPOTENCY_KEY()
      await hitPhoneLimit(app.redis, {
        keyPrefix: redisKeyPrefix(config),
        phone: request.body.requester.phone.e164,
        perHour: config.RATE_LIMIT_PER_PHONE_PER_HOUR,
      })
      const { created, linked, request: saved } = await createRequest(app.db, fromApiBody(request.body), key)
      request.log.info(
        { reference: saved.reference, created, linked },
        created ? 'request accepted' : linked ? 'requester linked' : 'request already open',
      )
      // The status page, which works when opened: it asks for the phone in a form post, so the
      // number never sits in a URL. Scripts read GET /api/v1/requests/:reference?phone=… instead.
      const statusUrl = `${config.PUBLIC_BASE_URL}/status?ref=${saved.reference}`
      return reply.code(created ? 201 : 200).send({ reference: saved.reference, status: saved.status, statusUrl, linked })
    },
  )
}
export default intake
