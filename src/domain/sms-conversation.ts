import { knownCityId } from './city.js'
import type { MessageKey } from './messages/index.js'
import { normalisePhone } from './phone.js'
import type { Flags } from './priority.js'
import type { Language } from './request-states.js'

/** What the conversation asks next, one short question at a time. */
export type Step = 'phone' | 'name' | 'city' | 'needs'
export type Draft = { relativePhone?: string; relativeName?: string; city?: string }
export type Conversation = { language: Language; step: Step; draft: Draft }

export type ReplyPart = { key: MessageKey; params?: Record<string, string | number> }
export type Completed = { relativePhone: string; relativeName: string; city: string; flags: Flags }

export type Turn = {
  reply: ReplyPart[]
  /** The conversation to keep, or null when it ended. */
  conversation: Conversation | null
  /** Set when the conversation has everything a request needs. */
  completed?: Completed
}

/** Longest single answer we read; a 1,600-character message is not an answer. */
export const MAX_ANSWER = 300
const MAX_FIELD = 100
const PHONE_IN_TEXT = /\+?\d[\d\s().-]{5,}\d/
const ASK: Record<Step, MessageKey> = { phone: 'sms.askPhone', name: 'sms.askName', city: 'sms.askCity', needs: 'sms.askNeeds' }
const NEEDS: Record<string, keyof Flags> = { '1': 'elderly', '2': 'medical', '3': 'children', '4': 'disability' }
const NO_NEEDS = /^(0|нет|жоқ|жок|no|none)$/i

/** A name or place as typed: letters kept, emoji and symbols dropped; undefined when nothing is left. */
export function cleanText(text: string): string | undefined {
  const cleaned = text
    .normalize('NFC')
    .replace(/[^\p{L}\p{M}\s'’.-]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  return /\p{L}/u.test(cleaned) && cleaned.length <= MAX_FIELD ? cleaned : undefined
}

/** "1 3", "1,3", "13" → flags; "0", "нет", "жоқ" → none; anything else → undefined. */
export function parseNeeds(text: string): Flags | undefined {
  const flags: Flags = { elderly: false, medical: false, children: false, disability: false }
  const trimmed = text.trim()
  if (NO_NEEDS.test(trimmed)) return flags
  const digits = trimmed.replace(/[\s,;.+]/g, '')
  if (!/^[1-4]{1,4}$/.test(digits)) return undefined
  for (const d of digits) flags[NEEDS[d] as keyof Flags] = true
  return flags
}

/**
 * Reads a first message that may hold everything ("+7 701 123 4567 Айгуль Алматы"): a phone
 * number anywhere, a known city among the words, and the rest as the relative's name.
 */
export function readAllAtOnce(text: string): Draft {
  const draft: Draft = {}
  let rest = text
  const phoneMatch = PHONE_IN_TEXT.exec(text)
  if (phoneMatch) {
    const phone = normalisePhone(phoneMatch[0])
    if (phone.ok) {
      draft.relativePhone = phone.e164
      rest = rest.replace(phoneMatch[0], ' ')
    }
  }
  const words = rest.split(/[\s,]+/).filter(Boolean)
  for (let i = 0; i < words.length && !draft.city; i++) {
    for (const size of [2, 1]) {
      const candidate = words.slice(i, i + size).join(' ')
      if (size <= words.length - i && knownCityId(candidate)) {
        draft.city = candidate
        words.splice(i, size)
        break
      }
    }
  }
  // Only take a name when a phone came with it: "Hello, please help" is not a name.
  if (draft.relativePhone && words.length > 0) draft.relativeName = cleanText(words.join(' '))
  return draft
}

function nextStep(draft: Draft): Step {
  if (!draft.relativePhone) return 'phone'
  if (!draft.relativeName) return 'name'
  if (!draft.city) return 'city'
  return 'needs'
}

/** Applies one answer to the step being asked; returns the draft or the reply explaining why not. */
function answer(step: Exclude<Step, 'needs'>, text: string, draft: Draft): Draft | ReplyPart {
  if (step === 'phone') {
    // The phone may come with the name and city ("8 701 … Нурлан Тараз"): take them all.
    const found = readAllAtOnce(text)
    return found.relativePhone ? { ...draft, ...found } : { key: 'sms.badPhone' }
  }
  const value = cleanText(text)
  if (!value) return { key: 'sms.badText', params: { max: MAX_FIELD } }
  return step === 'name' ? { ...draft, relativeName: value } : { ...draft, city: value }
}

/**
 * One turn of the conversation that turns SMS into a request. `current` is null for a sender
 * with no conversation (or an expired one: then `expired` adds a polite restart).
 */
export function converse(current: Conversation | null, text: string, options: { language: Language; expired?: boolean }): Turn {
  const restart: ReplyPart[] = options.expired ? [{ key: 'sms.restart' }] : []
  if (text.length > MAX_ANSWER) {
    return { reply: [{ key: 'sms.tooLong' }], conversation: current }
  }
  if (text.trim() === '') {
    return { reply: [{ key: 'sms.empty' }, { key: current ? ASK[current.step] : 'sms.welcome' }], conversation: current }
  }
  if (!current) {
    const draft = readAllAtOnce(text)
    const step = nextStep(draft)
    const conversation = { language: options.language, step, draft }
    const first: MessageKey = step === 'phone' && !options.expired ? 'sms.welcome' : ASK[step]
    return { reply: [...restart, { key: first }], conversation }
  }
  if (current.step === 'needs') {
    const flags = parseNeeds(text)
    if (!flags) return { reply: [{ key: 'sms.badNeeds' }], conversation: current }
    const { relativePhone, relativeName, city } = current.draft
    if (relativePhone && relativeName && city) {
      return { reply: [], conversation: null, completed: { relativePhone, relativeName, city, flags } }
    }
    return { reply: [{ key: ASK[nextStep(current.draft)] }], conversation: { ...current, step: nextStep(current.draft) } }
  }
  const result = answer(current.step, text, current.draft)
  if ('key' in result) return { reply: [result], conversation: current }
  const step = nextStep(result)
  return { reply: [{ key: ASK[step] }], conversation: { ...current, step, draft: result } }
}
