import type { Redis } from 'ioredis'
import type pg from 'pg'
import { type Config, redisKeyPrefix } from '../config.js'
import { type Db, withTransaction } from '../db/pool.js'
import { cancelRequest, openRequestsOf, unlinkRequester } from '../db/request-repository.js'
import {
  addNeeds,
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
import { awaitingNeeds, type Conversation, converse, type Ready, type ReplyPart, type Turn } from '../domain/sms-conversation.js'
import { type Command, detectLanguage, parseCommand } from '../domain/sms-keywords.js'
import { Errors } from '../errors.js'
import { createRequestIn } from './intake.js'
import { hitPhoneLimit } from './phone-limit.js'
import { withRedisOr } from './redis-guard.js'

export type SmsDeps = {
  db: Db
  redis: Redis
  config: Pick<
    Config,
    'SMS_IDLE_MINUTES' | 'RETENTION_DAYS' | 'RATE_LIMIT_PER_PHONE_PER_HOUR' | 'BULLMQ_PREFIX' | 'REDIS_TIMEOUT_MS'
  >
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
  if (ctx.conversation?.draft.requestId === target.id) await saveConversation(ctx.client, ctx.phone, null)
  return [{ key: 'sms.cancelled', params: { reference: formatReference(target.reference) } }]
}

/** Counts an intake against the sender's hourly limit; Redis away or slow: not counted. */
async function limited(ctx: Ctx): Promise<boolean> {
  const { config, redis } = ctx.deps
  const hit = () =>
    hitPhoneLimit(redis, { keyPrefix: redisKeyPrefix(config), phone: ctx.phone, perHour: config.RATE_LIMIT_PER_PHONE_PER_HOUR })
      .then(() => false)
      .catch((err) => {
        if (err instanceof Errors.RATE_LIMITED) return true
        throw err
      })
  return withRedisOr(config.REDIS_TIMEOUT_MS, hit, false)
}

/**
 * Creates the request as soon as the conversation knows a phone and a place, through the intake
 * every channel uses; the reply gives the reference at once and offers the needs question.
 */
async function create(ctx: Ctx, turn: Turn & { ready: Ready }): Promise<ReplyPart[]> {
  if (await limited(ctx)) {
    await saveConversation(ctx.client, ctx.phone, turn.conversation)
    return [{ key: 'sms.limited' }]
  }
  const { relativePhone, altPhone, relativeName, relation, place, address, flags } = turn.ready
  const result = await createRequestIn(ctx.client, {
    source: 'sms',
    requester: { phone: ctx.phone, language: ctx.language, notifyVia: 'sms' },
    relative: { name: relativeName, relation, phone: relativePhone, altPhone, city: place, address },
    flags,
  })
  const { id, reference } = result.request
  // The same requester asking again about the same relative: what this message adds still counts.
  if (!result.created && !result.linked && Object.values(flags).some(Boolean)) await addNeeds(ctx.client, id, flags)
  await saveConversation(ctx.client, ctx.phone, awaitingNeeds(ctx.language, { id, reference }))
  const shown = formatReference(reference)
  return result.created || result.linked
    ? [{ key: 'sms.createdAskNeeds', params: { reference: shown, days: ctx.deps.config.RETENTION_DAYS } }]
    : [{ key: 'sms.alreadyOpen', params: { reference: shown } }]
}

/** The conversation's turn: a request as soon as it can be made, needs added to it later. */
async function talk(ctx: Ctx, text: string, expired: boolean): Promise<ReplyPart[]> {
  const turn = converse(ctx.conversation, text, { language: ctx.language, expired })
  if (turn.ready) return create(ctx, { ...turn, ready: turn.ready })
  if (turn.needs) await addNeeds(ctx.client, turn.needs.requestId, turn.needs.flags)
  await saveConversation(ctx.client, ctx.phone, turn.conversation)
  return turn.reply
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
      // An idle conversation is kept (the purge removes it after a day): the next message goes on
      // from what it knew, and `expired` lets the reply say so.
      const conversation = locked?.conversation ?? null
      const saved = await senderLanguage(client, phone)
      const detected = detectLanguage(sms.body)
      // A live conversation keeps its language; otherwise LANG's choice, else this message's
      // words, else the last words we understood (a bare number or code says nothing).
      const live = expired ? undefined : conversation?.language
      const language = live ?? (saved?.chosen ? saved.language : (detected ?? saved?.language)) ?? conversation?.language ?? 'ru'
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
