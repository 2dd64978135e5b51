import formbody from '@fastify/formbody'
import type { FastifyPluginAsync } from 'fastify'
import twilio from 'twilio'
import type { Config } from '../../config.js'
import { TwilioErrors } from '../../errors.js'
import bridge from './bridge.js'
import sms from './sms.js'
import status from './status.js'
import voice from './voice.js'
import voiceIntake from './voice-intake.js'

/**
 * Twilio's webhooks, form-encoded. Every request must carry a valid X-Twilio-Signature computed
 * over the public URL Twilio called (PUBLIC_BASE_URL + path and query, whatever Host a proxy
 * passes on): otherwise 403, and nothing is read, stored or sent.
 */
const twilioRoutes: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  await app.register(formbody, { bodyLimit: 64 * 1024 })
  const base = config.PUBLIC_BASE_URL.replace(/\/$/, '')
  // preValidation: after the body is parsed, before anything looks at it.
  app.addHook('preValidation', async (request) => {
    const signature = request.headers['x-twilio-signature']
    const params = (request.body ?? {}) as Record<string, string>
    if (
      typeof signature !== 'string' ||
      !twilio.validateRequest(config.TWILIO_AUTH_TOKEN, signature, base + request.url, params)
    ) {
      throw new TwilioErrors.BAD_SIGNATURE()
    }
  })
  await app.register(sms, { config })
  await app.register(status)
  await app.register(voice, { config })
  await app.register(voiceIntake, { config })
  await app.register(bridge)
}
export default twilioRoutes
