import { z } from 'zod'
import { callbackInt, IdParam, queryText, TwilioSid, TwilioStatus } from './common.js'

// Garbage in a signed callback gets a 400: Twilio retries a 5xx, not a 4xx, so nothing loops.

/** The fields of Twilio's inbound-message webhook that Bailanys reads (others are ignored). */
export const InboundSmsSchema = z.looseObject({
  MessageSid: TwilioSid,
  From: queryText(64).min(1),
  Body: z.string().max(10_000).default(''),
})

/** Message status callback. */
export const MessageStatusSchema = z.looseObject({
  MessageSid: TwilioSid,
  MessageStatus: TwilioStatus,
  ErrorCode: callbackInt(),
})

/** Call status callback. */
export const CallStatusSchema = z.looseObject({
  CallSid: TwilioSid,
  CallStatus: TwilioStatus,
  ErrorCode: callbackInt(),
})

export const GatherSchema = z.looseObject({ Digits: z.string().max(32).optional() })

export const NotificationQuerySchema = z.object({ notification: IdParam })
