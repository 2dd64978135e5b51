import { normalisePhone } from './phone.js'
import type { Flags } from './priority.js'
import type { Language } from './request-states.js'
import { parseNeeds } from './sms-conversation.js'

/**
 * The voice line as a state machine, keypad and voice, one question at a time:
 * language → (menu, when the caller has requests to hear about) → (callback number, when caller
 * ID is withheld) → the relative's number → the place → the relative's name → urgent needs → the
 * reference. The request is created as soon as the number and the place are confirmed, so a
 * caller who hangs up after that still has one.
 */
export const VOICE_STEPS = [
  'language',
  'menu',
  'callback',
  'callbackConfirm',
  'phone',
  'phoneConfirm',
  'place',
  'placeRecord',
  'name',
  'needs',
  'done',
  'gaveUp',
  'limited',
] as const
export type VoiceStep = (typeof VOICE_STEPS)[number]

/** Steps that end the call: anything Twilio posts after them hears the same goodbye. */
export const FINAL_STEPS: readonly VoiceStep[] = ['done', 'gaveUp', 'limited']

/**
 * The place menu: the eight largest cities (the kz-places fixture's first eight) on keys 1–8, in
 * the order the `voice.place` texts name them (a test checks); 9 records another place.
 */
export const MENU_CITIES = ['almaty', 'astana', 'shymkent', 'aktobe', 'karaganda', 'taraz', 'oskemen', 'pavlodar'] as const
export const OTHER_PLACE_KEY = '9'

/** A question is asked once and re-asked twice; a third miss ends the call (or skips an optional step). */
export const MAX_RETRIES = 2

const LANGUAGE_KEYS: Record<string, Language> = { '1': 'kk', '2': 'ru', '3': 'en' }

export type VoiceCall = {
  step: VoiceStep
  language: Language | null
  /** Re-asks of the current step so far. */
  retries: number
  /** The caller's number (caller ID, or the callback number once confirmed); null while unknown. */
  callerPhone: string | null
  callerCanSms: boolean
  /** The caller has requests (open, or closed in the last week) to hear about. */
  hasRequests: boolean
  /** Digits typed at callback/phone, as typed, waiting for "1 to confirm". */
  entered: string | null
  relativePhone: string | null
  /** A menu city's id; null while unknown or when the place was recorded. */
  placeId: string | null
}

export type VoiceInput = { kind: 'digits'; digits: string } | { kind: 'recording' } | { kind: 'silence' }

/** What the service must do for a turn, in PostgreSQL, in the same transaction. */
export type VoiceEffect =
  | { kind: 'rememberLanguage'; language: Language }
  | { kind: 'saveRecording'; of: 'place' | 'name' }
  /** The number and the place are confirmed: the request now. */
  | { kind: 'createRequest' }
  | { kind: 'addFlags'; flags: Flags }

/** Said before the next question: why it is asked again, or the caller's requests. */
export type Notice = 'notUnderstood' | 'badPhone' | 'status'

export type VoiceTurn = { call: VoiceCall; effects: VoiceEffect[]; notice?: Notice }

/** A new call: `from` is Twilio's caller ID ("anonymous", "+266696687" or empty when withheld). */
export function startCall(from: string, known: { language?: Language; hasRequests: boolean }): VoiceCall {
  const caller = callerNumber(from)
  const call: VoiceCall = {
    step: 'language',
    language: known.language ?? null,
    retries: 0,
    callerPhone: caller?.e164 ?? null,
    callerCanSms: caller?.canSms ?? false,
    hasRequests: caller !== null && known.hasRequests,
    entered: null,
    relativePhone: null,
    placeId: null,
  }
  // A remembered language skips its menu: the menu offers 9 to change it.
  return call.language ? { ...call, step: 'menu' } : call
}

/** The caller's number from caller ID; null when withheld or not a number we could call back. */
export function callerNumber(from: string): { e164: string; canSms: boolean } | null {
  // Twilio's stand-ins for a withheld number; "+266696687" is its code for "anonymous".
  if (/^(anonymous|restricted|unknown|blocked|private|\+?266696687)$/i.test(from.trim())) return null
  const phone = normalisePhone(from)
  return phone.ok ? { e164: phone.e164, canSms: phone.canSms } : null
}

const goTo = (call: VoiceCall, step: VoiceStep, changes: Partial<VoiceCall> = {}): VoiceCall => ({
  ...call,
  ...changes,
  step,
  retries: 0,
})

/** Where a new request starts: the callback number first when caller ID is withheld. */
const startRequest = (call: VoiceCall) => goTo(call, call.callerPhone ? 'phone' : 'callback')

/** A miss: asked again, up to MAX_RETRIES; then the optional steps are skipped and the others end. */
function miss(call: VoiceCall, notice: Notice = 'notUnderstood'): VoiceTurn {
  if (call.retries < MAX_RETRIES) return { call: { ...call, retries: call.retries + 1 }, effects: [], notice }
  if (call.step === 'name') return { call: goTo(call, 'needs'), effects: [] }
  if (call.step === 'needs') return { call: goTo(call, 'done'), effects: [] }
  return { call: goTo(call, 'gaveUp'), effects: [] }
}

/** Keypad digits without the # that ended them. */
const keys = (input: VoiceInput) => (input.kind === 'digits' ? input.digits.replace(/#$/, '') : null)

/** A typed number: kept as typed (it is read back so), checked as every phone is. */
function typedNumber(call: VoiceCall, input: VoiceInput, confirm: VoiceStep): VoiceTurn {
  const digits = keys(input)
  if (!digits) return miss(call)
  if (!/^\d{5,15}$/.test(digits) || !normalisePhone(digits).ok) return miss(call, 'badPhone')
  return { call: goTo(call, confirm, { entered: digits }), effects: [] }
}

/** 1 confirms the typed number (normalised to E.164 now), 2 types it again. */
function confirmNumber(call: VoiceCall, input: VoiceInput, back: VoiceStep): VoiceTurn {
  const digit = keys(input)
  if (digit === '2') return { call: goTo(call, back, { entered: null }), effects: [] }
  const phone = call.entered ? normalisePhone(call.entered) : null
  if (digit !== '1' || !phone?.ok) return miss(call)
  if (back === 'callback')
    return { call: goTo(call, 'phone', { callerPhone: phone.e164, callerCanSms: phone.canSms, entered: null }), effects: [] }
  return { call: goTo(call, 'place', { relativePhone: phone.e164, entered: null }), effects: [] }
}

/** The next state for the caller's answer (keys, a recording, or nothing) at the current step. */
export function advance(call: VoiceCall, input: VoiceInput): VoiceTurn {
  const digits = keys(input)
  switch (call.step) {
    case 'language': {
      const language = digits ? LANGUAGE_KEYS[digits] : undefined
      if (!language) return miss(call)
      const chosen = { ...call, language }
      const next = call.hasRequests ? goTo(chosen, 'menu') : startRequest(chosen)
      return { call: next, effects: [{ kind: 'rememberLanguage', language }] }
    }
    case 'menu':
      if (digits === '1') return { call: startRequest(call), effects: [] }
      if (digits === '9') return { call: goTo(call, 'language'), effects: [] }
      if (digits === '0' && call.hasRequests) return { call: goTo(call, 'menu'), effects: [], notice: 'status' }
      return miss(call)
    case 'callback':
      return typedNumber(call, input, 'callbackConfirm')
    case 'callbackConfirm':
      return confirmNumber(call, input, 'callback')
    case 'phone':
      return typedNumber(call, input, 'phoneConfirm')
    case 'phoneConfirm':
      return confirmNumber(call, input, 'phone')
    case 'place': {
      if (digits === OTHER_PLACE_KEY) return { call: goTo(call, 'placeRecord'), effects: [] }
      const placeId = digits && /^[1-8]$/.test(digits) ? MENU_CITIES[Number(digits) - 1] : undefined
      if (!placeId) return miss(call)
      return { call: goTo(call, 'name', { placeId }), effects: [{ kind: 'createRequest' }] }
    }
    case 'placeRecord':
      if (input.kind !== 'recording') return miss(call)
      return { call: goTo(call, 'name'), effects: [{ kind: 'saveRecording', of: 'place' }, { kind: 'createRequest' }] }
    case 'name':
      if (input.kind !== 'recording') return miss(call)
      return { call: goTo(call, 'needs'), effects: [{ kind: 'saveRecording', of: 'name' }] }
    case 'needs': {
      // Optional: silence or a bare # means none.
      if (input.kind === 'silence' || digits === '' || digits === '0') return { call: goTo(call, 'done'), effects: [] }
      const flags = digits && /^[1-4]{1,4}$/.test(digits) ? parseNeeds(digits) : undefined
      if (!flags) return miss(call)
      return { call: goTo(call, 'done'), effects: [{ kind: 'addFlags', flags }] }
    }
    default:
      return { call, effects: [] }
  }
}
