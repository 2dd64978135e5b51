import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { recordCall } from '../../db/task-repository.js'
import { hangupTwiml } from '../../twilio/twiml.js'

const AttemptQuery = z.object({ attempt: z.string().regex(/^\d{1,18}$/) })
const CallStatusBody = z.looseObject({
  CallSid: z.string().min(1).max(64),
  CallStatus: z.string().min(1).max(32),
  CallDuration: z.coerce.number().int().nonnegative().optional(),
})
const DialBody = z.looseObject({
  DialCallStatus: z.string().min(1).max(32),
  DialCallDuration: z.coerce.number().int().nonnegative().optional(),
})

/** The bridged call's progress (the volunteer's leg) and how the relative's leg ended. */
const bridge: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/twilio/bridge/status',
    { schema: { hide: true, querystring: AttemptQuery, body: CallStatusBody } },
    async (request, reply) => {
      const { CallSid, CallStatus, CallDuration } = request.body
      await recordCall(app.db, {
        attemptId: request.query.attempt,
        callSid: CallSid,
        callStatus: CallStatus,
        duration: CallDuration,
      })
      return reply.code(204).send()
    },
  )

  app.post(
    '/twilio/bridge/dial',
    { schema: { hide: true, querystring: AttemptQuery, body: DialBody } },
    async (request, reply) => {
      const { DialCallStatus, DialCallDuration } = request.body
      await recordCall(app.db, { attemptId: request.query.attempt, dialStatus: DialCallStatus, duration: DialCallDuration })
      // The relative's leg is over: end the volunteer's too.
      return reply.type('text/xml').send(hangupTwiml())
    },
  )
}
export default bridge
