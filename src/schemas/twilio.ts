import { z } from 'zod'

/** The fields of Twilio's inbound-message webhook that Bailanys reads (others are ignored). */
export const InboundSmsSchema = z.looseObject({
  MessageSid: z.string().min(1).max(64),
  From: z.string().min(1).max(64),
  Body: z.string().max(10_000).default(''),
})

/** Message status callback. */
export const MessageStatusSchema = z.looseObject({
  MessageSid: z.string().min(1).max(64),
  MessageStatus: z.string().min(1).max(32),
  ErrorCode: z.coerce.number().int().optional(),
})

/** Call status callback. */
export const CallStatusSchema = z.looseObject({
  CallSid: z.string().min(1).max(64),
  CallStatus: z.string().min(1).max(32),
  ErrorCode: z.coerce.number().int().optional(),
})

export const GatherSchema = z.looseObject({ Digits: z.string().max(32).optional() })

export const NotificationQuerySchema = z.object({ notification: z.string().regex(/^\d{1,18}$/) })
