import type { Redis } from 'ioredis'
import type pg from 'pg'
import { type Config, redisKeyPrefix } from '../config.js'
import { type Db, withTransaction } from '../db/pool.js'
import { cancelRequest, openRequestsOf, unlinkRequester } from '../db/request-repository.js'
import {
  claimInbound,
  isOptedOut,
  lockConversation,
  requestsOfRequester,
  saveConversation,
  saveInboundReply,
  senderLanguage,
  setOptOut,
  setSenderLanguage,
} from '../db/sms-repository.js'
import { message } from '../domain/messages/index.js'
import { normalisePhone } from '../domain/phone.js'
import { formatReference, parseReference } from '../domain/reference.js'
import type { Language } from '../domain/request-states.js'
import { type Conversation, converse, type ReplyPart } from '../domain/sms-conversation.js'
import { type Command, detectLanguage, parseCommand } from '../domain/sms-keywords.js'
import { createRequestIn } from './intake.js'
import { hitPhoneLimit } from './phone-limit.js'

export type SmsDeps = {
  db: Db
  redis: Redis
  config: Pick<Config, 'SMS_IDLE_MINUTES' | 'RETENTION_DAYS' | 'RATE_LIMIT_PER_PHONE_PER_HOUR' | 'BULLMQ_PREFIX'>
}
type Ctx = { client: pg.PoolClient; deps: SmsDeps; phone: string; language: Language; conversation: Conversation | null }

const render = (language: Language, parts: ReplyPart[]) => parts.map((p) => message(language, p.key, p.params)).join(' ')

async function status(ctx: Ctx): Promise<ReplyPart[]> {
  const requests = await requestsOfRequester(ctx.client, ctx.phone)
  if (requests.length === 0) return [{ key: 'sms.statusNone' }]
  return requests.map((r) => ({
    key: 'sms.statusLine',
    params: { reference: formatReference(r.reference), state: message(ctx.language, `state.${r.status}`) },
  }))
}

async function cancel(ctx: Ctx, reference: string | undefined): Promise<ReplyPart[]> {
  const open = await openRequestsOf(ctx.client, ctx.phone)
  const wanted = reference === undefined ? null : parseReference(reference)
  const target = wanted ? open.find((r) => r.reference === wanted) : open.length === 1 ? open[0] : undefined
  if (!target) {
    if (open.length > 1)
      return [{ key: 'sms.cancelWhich', params: { reference: formatReference((open[0] as { reference: string }).reference) } }]
    // Nothing to cancel: an unfinished conversation is dropped instead.
    await saveConversation(ctx.client, ctx.phone, null)
    return [{ key: 'sms.cancelNone' }]
  }
  // Others still waiting on the same relative: only this requester leaves the request.
  if (target.requesters > 1) await unlinkRequester(ctx.client, target.id, ctx.phone)
  else await cancelRequest(ctx.client, { requestId: target.id, actorType: 'requester', reason: 'sms' })
  return [{ key: 'sms.cancelled', params: { reference: formatReference(target.reference) } }]
}

/** The conversation's turn; when it completes, the request is created as the web intake does. */
async function talk(ctx: Ctx, text: string, expired: boolean): Promise<ReplyPart[]> {
  const turn = converse(ctx.conversation, text, { language: ctx.language, expired })
  await saveConversation(ctx.client, ctx.phone, turn.conversation)
  if (!turn.completed) return turn.reply
  const { relativePhone, relativeName, city, flags } = turn.completed
  const { config, redis } = ctx.deps
  try {
    await hitPhoneLimit(redis, {
      keyPrefix: redisKeyPrefix(config),
      phone: ctx.phone,
      perHour: config.RATE_LIMIT_PER_PHONE_PER_HOUR,
    })
  } catch {
    return [{ key: 'sms.limited' }]
  }
  const result = await createRequestIn(ctx.client, {
    source: 'sms',
    requester: { phone: ctx.phone, language: ctx.language, notifyVia: 'sms' },
    relative: { name: relativeName, phone: relativePhone, city },
    flags,
  })
  const reference = formatReference(result.request.reference)
  return result.created || result.linked
    ? [{ key: 'sms.created', params: { reference, days: config.RETENTION_DAYS } }]
    : [{ key: 'sms.alreadyOpen', params: { reference } }]
}

async function respond(ctx: Ctx, command: Command, expired: boolean): Promise<ReplyPart[] | null> {
  switch (command.kind) {
    case 'help':
      return [{ key: 'sms.help' }]
    case 'status':
      return status(ctx)
    case 'cancel':
      return cancel(ctx, command.reference)
    case 'language':
      await setSenderLanguage(ctx.client, ctx.phone, command.language)
      ctx.language = command.language
      return [{ key: 'sms.language' }]
    case 'text':
      return talk(ctx, command.text, expired)
    default:
      return null
  }
}

/**
 * Handles one inbound SMS and returns the reply to send (null: none). A MessageSid seen before
 * gets the reply given the first time, without doing anything again. After STOP nothing is
 * answered until START; Twilio's own STOP/START words get no reply from us (Twilio answers them).
 */
export async function handleInboundSms(
  deps: SmsDeps,
  sms: { messageSid: string; from: string; body: string },
): Promise<string | null> {
  return withTransaction(deps.db, async (client) => {
    const seen = await claimInbound(client, sms.messageSid)
    if (seen) return seen.reply || null
    const from = normalisePhone(sms.from)
    let reply: string | null = null
    if (from.ok) {
      const phone = from.e164
      const command = parseCommand(sms.body)
      const locked = await lockConversation(client, phone)
      const expired = locked !== null && locked.idleSeconds > deps.config.SMS_IDLE_MINUTES * 60
      const conversation = locked && !expired ? locked.conversation : null
      const saved = await senderLanguage(client, phone)
      const detected = detectLanguage(sms.body)
      // A conversation keeps its language; otherwise LANG's choice, else this message's words,
      // else the last words we understood (a bare number or code says nothing).
      const language = conversation?.language ?? (saved?.chosen ? saved.language : (detected ?? saved?.language)) ?? 'ru'
      if (!saved?.chosen && detected && detected !== saved?.language) await setSenderLanguage(client, phone, detected, false)
      const ctx: Ctx = { client, deps, phone, language, conversation }
      if (command.kind === 'stop' || command.kind === 'start') {
        await setOptOut(client, phone, command.kind === 'stop')
        if (command.kind === 'stop') await saveConversation(client, phone, null)
        if (!command.twilioHandles) reply = message(language, command.kind === 'stop' ? 'sms.stopped' : 'sms.started')
      } else if (!(await isOptedOut(client, phone))) {
        const parts = await respond(ctx, command, expired)
        if (parts) reply = render(ctx.language, parts)
      }
    }
    await saveInboundReply(client, sms.messageSid, reply ?? '')
    return reply
  })
}
