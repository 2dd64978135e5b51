import { twimlTexts } from './phone-threads.js'
import { inboundSmsParams, signedPost, type WebhookAnswer } from './twilio-side.js'
import type { InboundRecord, InboundSms } from './types.js'

interface InboundOptions {
  accountSid: string
  authToken: string
  /** The service's URL for a path; throws when the fake was given no `webhookBaseUrl`. */
  webhookUrl: (path: string) => string
  /** The service's number a text goes to when none is given. */
  defaultTo: () => string
}

/**
 * Texts to the service as a phone would send them: Twilio's incoming-SMS webhook, signed. Each is
 * kept with the service's answer (its TwiML `<Message>` replies), for the phone simulator.
 */
export function inboundSms({ accountSid, authToken, webhookUrl, defaultTo }: InboundOptions) {
  const records: InboundRecord[] = []

  async function send({
    from,
    body,
    to = defaultTo(),
    messageSid,
    path = '/twilio/sms',
    signature,
  }: InboundSms): Promise<WebhookAnswer> {
    const params = inboundSmsParams({ accountSid, from, body, messageSid, to })
    const sentAt = new Date()
    const keep = (answer: InboundRecord['answer'], replies: string[] = []) =>
      records.push({ from, to, body, sentAt, answeredAt: new Date(), answer, replies })
    try {
      const answer = await signedPost({ url: webhookUrl(path), params, authToken, signature })
      keep(answer.status, answer.status === 200 ? twimlTexts(answer.body, 'Message') : [])
      return answer
    } catch (err) {
      keep('unreachable')
      throw err
    }
  }

  return { records, send }
}
