import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Config } from '../../config.js'
import { message } from '../../domain/messages/index.js'
import { detectLanguage } from '../../domain/sms-keywords.js'
import { InboundSmsSchema } from '../../schemas/twilio.js'
import { handleInboundSms } from '../../services/sms.js'
import { smsReplyTwiml } from '../../twilio/twiml.js'

/**
 * `POST /twilio/sms`: Twilio's inbound-message webhook; the reply goes back as TwiML.
 * `POST /twilio/sms/fallback`: for Twilio's "primary handler fails" URL; touches no database and
 * asks the sender to try again, so a requester is never met with silence.
 */
const sms: FastifyPluginAsyncZod<{ config: Config }> = async (app, { config }) => {
  app.post('/twilio/sms', { schema: { hide: true, body: InboundSmsSchema } }, async (request, reply) => {
    const { MessageSid, From, Body } = request.body
    const text = await handleInboundSms(
      { db: app.db, redis: app.redis, config },
      { messageSid: MessageSid, from: From, body: Body },
    )
    request.log.info({ messageSid: MessageSid, replied: text !== null }, 'inbound sms handled')
    return reply.type('text/xml').send(smsReplyTwiml(text))
  })

  app.post('/twilio/sms/fallback', { schema: { hide: true, body: InboundSmsSchema.partial() } }, async (request, reply) => {
    const language = detectLanguage(request.body.Body ?? '') ?? 'ru'
    return reply.type('text/xml').send(smsReplyTwiml(message(language, 'sms.unavailable')))
  })
}
export default sms
