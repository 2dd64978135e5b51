import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Config } from '../../config.js'
import { findNotification } from '../../db/notification-repository.js'
import { GatherSchema, NotificationQuerySchema } from '../../schemas/twilio.js'
import { callTwiml } from '../../services/notification-content.js'
import { goodbyeTwiml } from '../../twilio/twiml.js'

/** A key pressed during a notification call: 1 hears it again, anything else says goodbye. */
const voice: FastifyPluginAsyncZod<{ config: Config }> = async (app, { config }) => {
  app.post(
    '/twilio/voice/gather',
    { schema: { hide: true, querystring: NotificationQuerySchema, body: GatherSchema } },
    async (request, reply) => {
      const n = await findNotification(app.db, request.query.notification)
      const twiml = n && request.body.Digits === '1' ? callTwiml(config, n) : goodbyeTwiml(n?.language ?? 'ru')
      return reply.type('text/xml').send(twiml)
    },
  )
}
export default voice
