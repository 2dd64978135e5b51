import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Config } from '../../config.js'
import type { VoiceInput } from '../../domain/voice-flow.js'
import { callbackInt, queryInt, queryText, TwilioSid } from '../../schemas/common.js'
import { answerCall, answerStep } from '../../services/voice.js'
import { kazakhAudio } from '../../services/voice-audio.js'
import { voicePromptTwiml } from '../../twilio/twiml.js'

// What the voice line reads of Twilio's call webhooks (others are ignored). Garbage in a signed
// webhook gets a 400, which Twilio does not retry.
const CallSchema = z.looseObject({
  CallSid: TwilioSid,
  // Empty, "anonymous" or Twilio's "+266696687" when the caller withholds their number.
  From: queryText(64).default(''),
})
const StepSchema = CallSchema.extend({
  // After a <Record>: the key that ended it, or "hangup".
  Digits: z
    .string()
    .regex(/^([0-9*#]{0,32}|hangup)$/, 'must be keypad digits')
    .optional(),
  RecordingSid: z
    .string()
    .regex(/^RE[0-9a-fA-F]{32}$/, 'must be a recording SID')
    .optional(),
  RecordingUrl: queryText(500).optional(),
  RecordingDuration: callbackInt(),
})
const StepQuery = z.object({ turn: queryInt(0, 10_000) })

/**
 * The voice line: a Twilio number's Voice URL points at `/twilio/voice/incoming`; each answer
 * comes back to `/twilio/voice/step?turn=N` (the `<Gather>`/`<Record>` action, or the
 * `<Redirect>` Twilio falls through to on silence). `/twilio/voice/fallback` is for the number's
 * "primary handler fails" URL: no database, the SMS alternative in the three languages.
 */
const voiceIntake: FastifyPluginAsyncZod<{ config: Config }> = async (app, { config }) => {
  const audio = kazakhAudio(config.PUBLIC_BASE_URL)
  const deps = { db: app.db, redis: app.redis, config, audio }

  app.post('/twilio/voice/incoming', { schema: { hide: true, body: CallSchema } }, async (request, reply) => {
    const { CallSid, From } = request.body
    const twiml = await answerCall(deps, { callSid: CallSid, from: From })
    request.log.info({ callSid: CallSid }, 'voice call answered')
    return reply.type('text/xml').send(twiml)
  })

  app.post('/twilio/voice/step', { schema: { hide: true, querystring: StepQuery, body: StepSchema } }, async (request, reply) => {
    const { CallSid, From, Digits, RecordingSid, RecordingUrl, RecordingDuration } = request.body
    const input: VoiceInput = RecordingSid
      ? { kind: 'recording' }
      : Digits !== undefined && Digits !== 'hangup'
        ? { kind: 'digits', digits: Digits }
        : { kind: 'silence' }
    const recording = RecordingSid ? { sid: RecordingSid, url: RecordingUrl, duration: RecordingDuration } : undefined
    const twiml = await answerStep(deps, { callSid: CallSid, from: From, turn: request.query.turn, input, recording })
    request.log.info({ callSid: CallSid, turn: request.query.turn, input: input.kind }, 'voice step answered')
    return reply.type('text/xml').send(twiml)
  })

  app.post('/twilio/voice/fallback', { schema: { hide: true, body: CallSchema.partial() } }, async (_request, reply) => {
    const speech = (['kk', 'ru', 'en'] as const).map((language) => ({ key: 'voice.giveUp' as const, language }))
    const prompt = { speech, listen: { kind: 'hangup' as const } }
    return reply.type('text/xml').send(voicePromptTwiml({ prompt, language: 'ru', actionUrl: '', audio }))
  })
}
export default voiceIntake
