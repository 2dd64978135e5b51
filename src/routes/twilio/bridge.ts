import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { recordCall } from '../../db/task-repository.js'
import { callbackInt, IdParam, TwilioSid, TwilioStatus } from '../../schemas/common.js'
import { hangupTwiml } from '../../twilio/twiml.js'

const AttemptQuery = z.object({ attempt: IdParam })
// Durations go to an `integer` column: one past its range is dropped, the call status still kept.
const CallStatusBody = z.looseObject({ CallSid: TwilioSid, CallStatus: TwilioStatus, CallDuration: callbackInt() })
const DialBody = z.looseObject({ DialCallStatus: TwilioStatus, DialCallDuration: callbackInt() })

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
