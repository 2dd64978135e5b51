import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { applyProviderStatus, type NotificationStatus } from '../../db/notification-repository.js'
import { CallStatusSchema, MessageStatusSchema, NotificationQuerySchema } from '../../schemas/twilio.js'

const MESSAGE: Record<string, NotificationStatus> = {
  accepted: 'queued',
  scheduled: 'queued',
  queued: 'queued',
  sending: 'sent',
  sent: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
}
const CALL: Record<string, NotificationStatus> = {
  queued: 'queued',
  initiated: 'queued',
  ringing: 'queued',
  'in-progress': 'sent',
  answered: 'sent',
  completed: 'delivered',
  busy: 'undelivered',
  'no-answer': 'undelivered',
  failed: 'failed',
  canceled: 'failed',
}

/** Status callbacks for notification messages and calls: the notification's status moves on. */
const status: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/twilio/status',
    { schema: { hide: true, querystring: NotificationQuerySchema, body: MessageStatusSchema } },
    async (request, reply) => {
      const { MessageSid, MessageStatus, ErrorCode } = request.body
      const next = MESSAGE[MessageStatus]
      if (next)
        await applyProviderStatus(app.db, {
          id: request.query.notification,
          sid: MessageSid,
          status: next,
          providerStatus: MessageStatus,
          errorCode: ErrorCode,
        })
      return reply.code(204).send()
    },
  )

  app.post(
    '/twilio/voice/status',
    { schema: { hide: true, querystring: NotificationQuerySchema, body: CallStatusSchema } },
    async (request, reply) => {
      const { CallSid, CallStatus, ErrorCode } = request.body
      const next = CALL[CallStatus]
      if (next)
        await applyProviderStatus(app.db, {
          id: request.query.notification,
          sid: CallSid,
          status: next,
          providerStatus: CallStatus,
          errorCode: ErrorCode,
        })
      return reply.code(204).send()
    },
  )
}
export default status
