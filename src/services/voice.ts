import type { Redis } from 'ioredis'
import type pg from 'pg'
import { type Config, redisKeyPrefix } from '../config.js'
import { type Db, withTransaction } from '../db/pool.js'
import { isOptedOut, senderLanguage, setSenderLanguage } from '../db/sms-repository.js'
import {
  addFlags,
  hasRecentRequests,
  insertCall,
  lockCall,
  requestReference,
  type StoredCall,
  saveCall,
  saveRecording,
  settleVoiceRequest,
  statusLines,
} from '../db/voice-repository.js'
import { KZ_CITIES } from '../domain/kz-cities.js'
import {
  advance,
  callerNumber,
  FINAL_STEPS,
  type Notice,
  startCall,
  type VoiceEffect,
  type VoiceInput,
  type VoiceTurn,
} from '../domain/voice-flow.js'
import { type PromptContext, promptFor } from '../domain/voice-prompts.js'
import { Errors } from '../errors.js'
import { type AudioUrls, voicePromptTwiml } from '../twilio/twiml.js'
import { createRequestIn } from './intake.js'
import { hitPhoneLimit } from './phone-limit.js'
import { withRedisOr } from './redis-guard.js'

export type VoiceDeps = {
  db: Db
  redis: Redis
  config: Pick<Config, 'PUBLIC_BASE_URL' | 'RATE_LIMIT_PER_PHONE_PER_HOUR' | 'BULLMQ_PREFIX' | 'REDIS_TIMEOUT_MS'>
  audio: AudioUrls
}
/** What Twilio posted: the call, its caller ID, and the caller's answer with the turn it answers. */
export type VoiceWebhook = {
  callSid: string
  from: string
  turn?: number
  input: VoiceInput
  recording?: { sid: string; url?: string; duration?: number }
}
type Ctx = { client: pg.PoolClient; deps: VoiceDeps; hook: VoiceWebhook }

const NO_FLAGS = { elderly: false, medical: false, children: false, disability: false }

/** Where the answer to the question of `turn` is posted; Twilio signs the URL with its query. */
export const stepUrl = (config: Pick<Config, 'PUBLIC_BASE_URL'>, turn: number) =>
  `${config.PUBLIC_BASE_URL.replace(/\/$/, '')}/twilio/voice/step?turn=${turn}`

/** The caller's attempts in the hour, counted like every channel's; Redis away or slow: not counted. */
async function limited(deps: VoiceDeps, phone: string): Promise<boolean> {
  const count = () =>
    hitPhoneLimit(deps.redis, {
      keyPrefix: redisKeyPrefix(deps.config),
      phone,
      perHour: deps.config.RATE_LIMIT_PER_PHONE_PER_HOUR,
    }).then(
      () => false,
      (err) => {
        if (err instanceof Errors.RATE_LIMITED) return true
        throw err
      },
    )
  return withRedisOr(deps.config.REDIS_TIMEOUT_MS, count, false)
}

/** The request, through the same intake as every channel, once the number and the place are confirmed. */
async function createRequest(ctx: Ctx, call: StoredCall): Promise<StoredCall> {
  const { callerPhone, relativePhone, language } = call
  if (call.requestId || !callerPhone || !relativePhone || !language) return call
  if (await limited(ctx.deps, callerPhone)) return { ...call, step: 'limited', retries: 0 }
  const city = KZ_CITIES.find((c) => c.id === call.placeId)
  const result = await createRequestIn(ctx.client, {
    source: 'voice',
    requester: { phone: callerPhone, language, notifyVia: call.callerCanSms ? 'sms' : 'voice' },
    // The name is only recorded, and a place may be: unknown as text, the volunteer plays the recording.
    relative: { phone: relativePhone, city: city ? city[language] : '' },
    flags: NO_FLAGS,
  })
  const requestId = result.request.id
  await settleVoiceRequest(ctx.client, {
    callSid: ctx.hook.callSid,
    requestId,
    requesterPhone: callerPhone,
    toldOnCall: !call.callerCanSms,
  })
  return { ...call, requestId, requestExisted: !result.created && !result.linked }
}

async function apply(ctx: Ctx, call: StoredCall, effect: VoiceEffect): Promise<StoredCall> {
  const { client, hook } = ctx
  switch (effect.kind) {
    case 'rememberLanguage':
      if (call.callerPhone) await setSenderLanguage(client, call.callerPhone, effect.language)
      return call
    case 'saveRecording':
      if (hook.recording)
        await saveRecording(client, { callSid: hook.callSid, kind: effect.of, ...hook.recording, requestId: call.requestId })
      return call
    case 'createRequest':
      return createRequest(ctx, call)
    case 'addFlags':
      if (call.requestId) await addFlags(client, call.requestId, effect.flags)
      return call
  }
}

/** The TwiML for the call's step: the question (with the turn it waits for) or the goodbye. */
async function render(ctx: Ctx, call: StoredCall, notice?: Notice): Promise<string> {
  const { client, deps } = ctx
  const context: PromptContext = { notice }
  if (notice === 'status' && call.callerPhone) context.statuses = await statusLines(client, call.callerPhone)
  if (call.step === 'done' && call.requestId) {
    const code = await requestReference(client, call.requestId)
    const phone = call.callerPhone
    const smsSent = call.callerCanSms && !call.requestExisted && phone !== null && !(await isOptedOut(client, phone))
    if (code) context.reference = { code, existed: call.requestExisted, smsSent }
  }
  return voicePromptTwiml({
    prompt: promptFor(call, context),
    language: call.language ?? 'ru',
    actionUrl: stepUrl(deps.config, call.turn),
    audio: deps.audio,
  })
}

/** A new call, or Twilio's retry of its first webhook (which hears the current question again). */
async function begin(ctx: Ctx): Promise<string> {
  const { client, hook } = ctx
  const existing = await lockCall(client, hook.callSid)
  if (existing) return render(ctx, existing)
  const phone = callerNumber(hook.from)?.e164 ?? null
  const remembered = phone ? await senderLanguage(client, phone) : undefined
  const call = startCall(hook.from, {
    language: remembered?.chosen ? remembered.language : undefined,
    hasRequests: phone !== null && (await hasRecentRequests(client, phone)),
  })
  if (!(await insertCall(client, hook.callSid, call))) return render(ctx, (await lockCall(client, hook.callSid)) as StoredCall)
  return render(ctx, { ...call, turn: 0, requestId: null, requestExisted: false })
}

/** `POST /twilio/voice/incoming`: the call starts (a language remembered for the number skips its menu). */
export async function answerCall(deps: VoiceDeps, hook: Omit<VoiceWebhook, 'input'>): Promise<string> {
  return withTransaction(deps.db, (client) => begin({ client, deps, hook: { ...hook, input: { kind: 'silence' } } }))
}

/**
 * `POST /twilio/voice/step`: the caller's answer to the question of `turn`. The call is locked
 * and its turn compared: a webhook Twilio retries (or one that arrives late) carries a turn
 * already answered and only hears the current question again, so each answer counts once and
 * the call makes at most one request however often Twilio retries.
 */
export async function answerStep(deps: VoiceDeps, hook: VoiceWebhook): Promise<string> {
  return withTransaction(deps.db, async (client) => {
    const ctx: Ctx = { client, deps, hook }
    const stored = await lockCall(client, hook.callSid)
    if (!stored) return begin(ctx)
    if (hook.turn !== stored.turn || FINAL_STEPS.includes(stored.step)) return render(ctx, stored)
    const turn: VoiceTurn = advance(stored, hook.input)
    let call: StoredCall = { ...stored, ...turn.call, turn: stored.turn + 1 }
    for (const effect of turn.effects) call = await apply(ctx, call, effect)
    await saveCall(client, hook.callSid, call)
    return render(ctx, call, turn.notice)
  })
}
