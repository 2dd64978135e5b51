import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../src/config.js'
import { twilioPost } from '../helper.js'
import { city, edgeNumber, extraFields, mostly, nastyString, numericString, personName, phone, urlPiece } from './arbitraries.js'
import { type Target, target } from './harness.js'
import type { Seeded } from './seed.js'

/** Form fields as Twilio sends them: every value a string. */
const asParams = (o: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(o)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  ) as Record<string, string>

const sid = (prefix: string) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.stringMatching(/^[0-9a-f]{32}$/).map((hex) => `${prefix}${hex}`) },
    { weight: 1, arbitrary: fc.constantFrom(`${prefix}dup`, `${prefix}${'0'.repeat(32)}`) },
    { weight: 2, arbitrary: nastyString },
  )
/** A number as a callback field: usually a small one, often one past the column's range. */
const callbackNumber = fc.oneof(fc.nat(99_999).map(String), numericString, edgeNumber.map(String))
const messageStatus = mostly(fc.constantFrom('queued', 'sent', 'delivered', 'undelivered', 'failed', 'read', 'bogus'))
const callStatus = mostly(fc.constantFrom('initiated', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'failed'))

/** What people text: the conversation's answers, keywords, and garbage. */
const smsBody = fc.oneof(
  fc.constantFrom('Здравствуйте', 'Сәлем', 'Hello', '1 2', '0', 'нет', 'STATUS', 'СТОП', 'START', 'HELP', 'LANG kk', 'ОТМЕНА'),
  phone,
  personName,
  city,
  fc.tuple(phone, personName, city).map((parts) => parts.join(' ')),
  nastyString,
)

/**
 * Signed Twilio webhooks: inbound SMS, message and call status callbacks, the gather of a
 * notification call, and the bridged call's two callbacks. Signed, so that the garbage gets past
 * the signature check and reaches the schemas and the database.
 */
export function twilioTargets(app: FastifyInstance, config: Config, seeded: Seeded): Target<unknown>[] {
  // A few senders, so that conversations go on over several messages and sometimes finish.
  const sender = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom('+77015550101', '+77015550102', '+77015550103') },
    {
      weight: 2,
      arbitrary: mostly(phone),
    },
  )
  const notification = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...seeded.notifications) }, urlPiece)
  const attempt = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...seeded.attempts) }, urlPiece)
  const post = (url: string, params: Record<string, unknown>) =>
    twilioPost(app as Parameters<typeof twilioPost>[0], config, url, asParams(params))
  // A status only moves forward: put the notification back so that the callback writes again.
  const rewind = (id: string) => app.db.query("UPDATE notifications SET status = 'pending' WHERE id::text = $1", [id])

  return [
    target({
      name: 'POST /twilio/sms',
      runs: 500,
      writes: true,
      arbitrary: fc.record({
        MessageSid: sid('SM'),
        From: sender,
        To: fc.constant('+15005550006'),
        Body: fc.option(smsBody, { freq: 15, nil: undefined }),
        extra: extraFields,
      }),
      send: ({ extra, ...fields }) => post('/twilio/sms', { ...extra, ...fields }),
    }),
    target({
      name: 'POST /twilio/status',
      runs: 200,
      arbitrary: fc.record({
        id: notification,
        MessageSid: sid('SM'),
        MessageStatus: messageStatus,
        ErrorCode: fc.option(callbackNumber, { nil: undefined }),
        extra: extraFields,
      }),
      send: async ({ id, extra, ...fields }) => {
        await rewind(id)
        return post(`/twilio/status?notification=${id}`, { ...extra, ...fields })
      },
    }),
    target({
      name: 'POST /twilio/voice/status',
      runs: 200,
      arbitrary: fc.record({
        id: notification,
        CallSid: sid('CA'),
        CallStatus: callStatus,
        ErrorCode: fc.option(callbackNumber, { nil: undefined }),
      }),
      send: async ({ id, ...fields }) => {
        await rewind(id)
        return post(`/twilio/voice/status?notification=${id}`, fields)
      },
    }),
    target({
      name: 'POST /twilio/voice/gather',
      runs: 200,
      arbitrary: fc.record({
        id: notification,
        CallSid: sid('CA'),
        Digits: fc.option(mostly(fc.constantFrom('1', '9')), { nil: undefined }),
      }),
      send: ({ id, ...fields }) => post(`/twilio/voice/gather?notification=${id}`, fields),
    }),
    target({
      name: 'POST /twilio/bridge/status',
      runs: 200,
      arbitrary: fc.record({
        id: attempt,
        CallSid: sid('CA'),
        CallStatus: callStatus,
        CallDuration: fc.option(callbackNumber, { nil: undefined }),
      }),
      send: ({ id, ...fields }) => post(`/twilio/bridge/status?attempt=${id}`, fields),
    }),
    target({
      name: 'POST /twilio/bridge/dial',
      runs: 200,
      arbitrary: fc.record({
        id: attempt,
        DialCallStatus: callStatus,
        DialCallDuration: fc.option(callbackNumber, { nil: undefined }),
      }),
      send: ({ id, ...fields }) => post(`/twilio/bridge/dial?attempt=${id}`, fields),
    }),
  ]
}
