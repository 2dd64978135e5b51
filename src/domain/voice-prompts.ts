import type { MessageKey } from './messages/index.js'
import { REFERENCE_ALPHABET } from './reference.js'
import { LANGUAGES, type Language, type RequestState } from './request-states.js'
import type { Notice, VoiceCall, VoiceStep } from './voice-flow.js'

/**
 * What the voice line says and how it listens, as data: twiml.ts turns it into TwiML (recorded
 * Kazakh prompts, Twilio's voices for Russian and English). Every catalogue text spoken here is a
 * `voice.*` key, so that each has its Kazakh recording.
 */
export type Speech =
  /** A catalogue text, in the call's language unless given. */
  | { key: MessageKey; language?: Language }
  /** Digits and letters read one by one, slowly (a phone number, a reference). */
  | { spell: string }
  /** Free text someone typed (a volunteer's message): synthesised, never recorded. */
  | { say: string }
  | { pause: number }

export type Listen =
  | { kind: 'keys'; numDigits: number; finishOnHash: boolean; timeout: number }
  | { kind: 'record'; maxLength: number }
  | { kind: 'hangup' }

export type Prompt = { speech: Speech[]; listen: Listen }

/** One of the caller's requests, as the status line reads it. */
export type StatusLine = { reference: string; status: RequestState; message: string | null }

export type PromptContext = {
  notice?: Notice
  statuses?: StatusLine[]
  /** The request of this call, once made: `existed` when the caller already had it. */
  reference?: { code: string; existed: boolean; smsSent: boolean }
}

/** Every character a spelled number or reference can hold; each has its own recording. */
export const SPELLABLE = `0123456789${REFERENCE_ALPHABET.replace(/\d/g, '')}`

/** The key of one spelled character: `voice.digit.7`, `voice.char.K`. */
export function charKey(ch: string): MessageKey {
  return (/\d/.test(ch) ? `voice.digit.${ch}` : `voice.char.${ch}`) as MessageKey
}

const oneKey = (timeout = 6): Listen => ({ kind: 'keys', numDigits: 1, finishOnHash: false, timeout })
const aNumber: Listen = { kind: 'keys', numDigits: 16, finishOnHash: true, timeout: 10 }
const hangup: Listen = { kind: 'hangup' }
const say = (...keys: MessageKey[]): Speech[] => keys.map((key) => ({ key }))

/** A reference read in its two groups of four, a pause between. */
const spellReference = (code: string): Speech[] => [{ spell: code.slice(0, 4) }, { pause: 1 }, { spell: code.slice(4) }]

function noticeSpeech(ctx: PromptContext): Speech[] {
  if (ctx.notice === 'notUnderstood') return say('voice.notUnderstood')
  if (ctx.notice === 'badPhone') return say('voice.badPhone')
  if (ctx.notice !== 'status') return []
  if (!ctx.statuses?.length) return say('voice.statusNone')
  return ctx.statuses.flatMap((s) => [
    ...say('voice.statusItem'),
    ...spellReference(s.reference),
    { key: `voice.state.${s.status}` as MessageKey },
    ...(s.message ? [...say('voice.volunteerMessage'), { say: s.message }] : []),
    { pause: 1 },
  ])
}

function doneSpeech(ctx: PromptContext): Speech[] {
  const ref = ctx.reference
  if (!ref) return say('voice.received', 'voice.goodbye')
  return [
    ...say(ref.existed ? 'voice.alreadyOpen' : 'voice.reference'),
    ...spellReference(ref.code),
    { pause: 1 },
    ...say('voice.referenceAgain'),
    ...spellReference(ref.code),
    { pause: 1 },
    ...(ref.smsSent ? say('voice.smsSent') : []),
    ...say('voice.received', 'voice.goodbye'),
  ]
}

const readBack = (call: VoiceCall): Speech[] => [
  ...say('voice.youEntered'),
  { spell: call.entered ?? '' },
  { pause: 1 },
  ...say('voice.confirm'),
]

const STEPS: Record<VoiceStep, (call: VoiceCall, ctx: PromptContext) => Prompt> = {
  // Before a language is chosen each option is said in its own language.
  language: () => ({
    speech: LANGUAGES.map((language) => ({ key: 'voice.languageOption', language })),
    listen: oneKey(),
  }),
  menu: (call) => ({ speech: say('voice.menu', ...(call.hasRequests ? ['voice.menuStatus' as const] : [])), listen: oneKey() }),
  callback: () => ({ speech: say('voice.callback'), listen: aNumber }),
  callbackConfirm: (call) => ({ speech: readBack(call), listen: oneKey() }),
  phone: () => ({ speech: say('voice.phone'), listen: aNumber }),
  phoneConfirm: (call) => ({ speech: readBack(call), listen: oneKey() }),
  place: () => ({ speech: say('voice.place'), listen: oneKey(8) }),
  placeRecord: () => ({ speech: say('voice.placeRecord'), listen: { kind: 'record', maxLength: 30 } }),
  name: () => ({ speech: say('voice.name'), listen: { kind: 'record', maxLength: 15 } }),
  needs: () => ({ speech: say('voice.needs'), listen: { kind: 'keys', numDigits: 5, finishOnHash: true, timeout: 8 } }),
  done: (_call, ctx) => ({ speech: doneSpeech(ctx), listen: hangup }),
  // Before a language is chosen the goodbye, too, is said in each.
  gaveUp: (call) => ({
    speech: call.language ? say('voice.giveUp') : LANGUAGES.map((language) => ({ key: 'voice.giveUp', language })),
    listen: hangup,
  }),
  limited: () => ({ speech: say('voice.limited'), listen: hangup }),
}

/** What the caller hears at the call's step, after the turn's notice (why it is asked again, or the status). */
export function promptFor(call: VoiceCall, ctx: PromptContext = {}): Prompt {
  const prompt = STEPS[call.step](call, ctx)
  // Without a language yet, "not understood" has no words: the menu in three languages is the re-ask.
  return { ...prompt, speech: [...(call.language ? noticeSpeech(ctx) : []), ...prompt.speech] }
}
