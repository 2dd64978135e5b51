import type { MessageKey } from './messages/index.js'
import type { Flags } from './priority.js'
import { formatReference } from './reference.js'
import type { Language } from './request-states.js'
import { type Reading, readMessage } from './sms-reading.js'
import { hasVisibleLetter, stripBidiControls } from './text.js'

/**
 * What the conversation waits for: the relative's phone, then their place; once both are known
 * the request exists and the conversation only listens for the optional urgent needs.
 */
export type Step = 'phone' | 'place' | 'needs'
export type Draft = {
  relativePhone?: string
  altPhone?: string
  relativeName?: string
  relation?: string
  place?: string
  address?: string
  flags?: Flags
  /** The request this conversation made (the draft's personal details are dropped then). */
  requestId?: string
  reference?: string
}
export type Conversation = { language: Language; step: Step; draft: Draft }

export type ReplyPart = { key: MessageKey; params?: Record<string, string | number> }
/** What a request is created from: a phone and a place, and whatever else was said. */
export type Ready = Omit<Draft, 'relativePhone' | 'place' | 'flags' | 'requestId' | 'reference'> & {
  relativePhone: string
  place: string
  flags: Flags
}

export type Turn = {
  reply: ReplyPart[]
  /** The conversation to keep, or null when it ended. */
  conversation: Conversation | null
  /** The conversation knows a phone and a place: create the request, then `awaitingNeeds`. */
  ready?: Ready
  /** Urgent needs given for the request this conversation made. */
  needs?: { requestId: string; flags: Flags }
}

/** Longest single answer we read; a 1,600-character message is not an answer. */
export const MAX_ANSWER = 300
const MAX_FIELD = 100
const NEEDS: Record<string, keyof Flags> = { '1': 'elderly', '2': 'medical', '3': 'children', '4': 'disability' }
const NO_NEEDS = /^(0|нет|жоқ|жок|no|none)$/i
const NO_FLAGS: Flags = { elderly: false, medical: false, children: false, disability: false }

/** A name or place as typed: letters kept, emoji and symbols dropped; undefined when nothing is left. */
export function cleanText(text: string): string | undefined {
  const cleaned = text
    .normalize('NFC')
    .replace(/[^\p{L}\p{M}\s'’.-]/gu, ' ')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.'’-]+|[\s'’-]+$/gu, '')
    .trim()
  return hasVisibleLetter(cleaned) && cleaned.length <= MAX_FIELD ? cleaned : undefined
}

/** "1 3", "1,3", "13" → flags; "0", "нет", "жоқ" → none; anything else → undefined. */
export function parseNeeds(text: string): Flags | undefined {
  const flags: Flags = { ...NO_FLAGS }
  const trimmed = text.trim()
  if (NO_NEEDS.test(trimmed)) return flags
  const digits = trimmed.replace(/[\s,;.+]/g, '')
  if (!/^[1-4]{1,4}$/.test(digits)) return undefined
  for (const d of digits) flags[NEEDS[d] as keyof Flags] = true
  return flags
}

const anyFlag = (flags: Flags) => Object.values(flags).some(Boolean)
const orFlags = (a: Flags | undefined, b: Flags): Flags => ({
  elderly: Boolean(a?.elderly || b.elderly),
  medical: Boolean(a?.medical || b.medical),
  children: Boolean(a?.children || b.children),
  disability: Boolean(a?.disability || b.disability),
})

/** A later message adds to what earlier ones said; a new phone or place is a correction. */
function merge(draft: Draft, reading: Reading): Draft {
  const next: Draft = { ...draft }
  if (reading.phone && reading.phone !== draft.relativePhone) {
    next.relativePhone = reading.phone
    if (next.altPhone === reading.phone) delete next.altPhone
  }
  if (reading.altPhone && reading.altPhone !== next.relativePhone) next.altPhone = reading.altPhone
  const place = reading.place && cleanText(reading.place)
  if (place) next.place = place
  // "87011234567 Узынагаш", then "Узынагаш" when asked where: the word was the place, not a name.
  if (place && next.relativeName) {
    const rest = cleanText(next.relativeName.replace(place, ' '))
    if (rest) next.relativeName = rest
    else delete next.relativeName
  }
  const name = reading.name && cleanText(reading.name)
  if (name && !next.relativeName) next.relativeName = name
  const relation = reading.relation && cleanText(reading.relation)
  if (relation && !next.relation) next.relation = relation
  const address = reading.address && stripBidiControls(reading.address).replace(/\p{C}/gu, ' ').trim().slice(0, MAX_FIELD)
  if (address && hasVisibleLetter(address) && !next.address) next.address = address
  if (anyFlag(reading.flags)) next.flags = orFlags(next.flags, reading.flags)
  return next
}

function ready(draft: Draft, relativePhone: string, place: string): Ready {
  const { relativeName, altPhone, relation, address, flags } = draft
  return { relativePhone, place, relativeName, altPhone, relation, address, flags: flags ?? { ...NO_FLAGS } }
}

/** A conversation stored before places were asked first (steps 'name'/'city', `draft.city`). */
function upgrade(stored: Conversation): Conversation {
  const { city, ...draft } = stored.draft as Draft & { city?: string }
  const place = draft.place ?? (city ? cleanText(city) : undefined)
  return { ...stored, draft: place ? { ...draft, place } : draft }
}

/** The conversation once its request exists: it waits for the optional needs only. */
export function awaitingNeeds(language: Language, request: { id: string; reference: string }): Conversation {
  return { language, step: 'needs', draft: { requestId: request.id, reference: request.reference } }
}

/** After the request: needs raise its priority; a new number starts another; the rest is told where things stand. */
function afterRequest(current: Conversation, text: string, options: { language: Language }): Turn {
  const requestId = current.draft.requestId as string
  const reference = formatReference(current.draft.reference ?? '')
  const reading = readMessage(text)
  if (reading.phone) return converse(null, text, options)
  const flags = parseNeeds(text) ?? (anyFlag(reading.flags) ? reading.flags : undefined)
  if (flags) return { reply: [{ key: 'sms.needsNoted', params: { reference } }], conversation: null, needs: { requestId, flags } }
  return { reply: [{ key: 'sms.afterCreated', params: { reference } }], conversation: current }
}

/**
 * One turn of the conversation that turns SMS into a request. `current` is null for a sender
 * with no conversation; `expired` says it has been idle past SMS_IDLE_MINUTES. What an idle
 * conversation knew is kept: the next message continues it, unless it brings another number.
 */
export function converse(stored: Conversation | null, text: string, options: { language: Language; expired?: boolean }): Turn {
  const current = stored && upgrade(stored)
  if (text.length > MAX_ANSWER) return { reply: [{ key: 'sms.tooLong' }], conversation: current }
  if (current?.draft.requestId) {
    if (text.trim() === '') return { reply: [{ key: 'sms.empty' }], conversation: current }
    return afterRequest(current, text, options)
  }
  const ask = (draft: Draft | undefined): MessageKey => (draft?.relativePhone ? 'sms.askCity' : 'sms.askPhone')
  if (text.trim() === '') {
    return { reply: [{ key: 'sms.empty' }, { key: current ? ask(current.draft) : 'sms.welcome' }], conversation: current }
  }
  // What answers "which city or village?" is the place; an older conversation may have asked the name.
  const placeAnswer = Boolean(current?.draft.relativePhone && !current.draft.place) && (stored?.step as string) !== 'name'
  const reading = readMessage(text, { placeAnswer })
  const newNumber = options.expired && reading.phone !== undefined && reading.phone !== current?.draft.relativePhone
  const kept = current && !newNumber ? current : null
  const draft = merge(kept ? kept.draft : {}, reading)
  const needs = current?.step === 'needs' ? parseNeeds(text) : undefined // a conversation stored before this version
  if (needs) draft.flags = orFlags(draft.flags, needs)
  const language = kept && !options.expired ? kept.language : options.language
  const step: Step = draft.relativePhone ? 'place' : 'phone'
  const conversation: Conversation = { language, step, draft }
  if (draft.relativePhone && draft.place)
    return { reply: [], conversation, ready: ready(draft, draft.relativePhone, draft.place) }
  const resumed = kept && options.expired && Boolean(kept.draft.relativePhone || kept.draft.place)
  const reply: ReplyPart[] = resumed ? [{ key: 'sms.resumed' }] : []
  const saidSomething = Boolean(reading.place || reading.name || reading.relation)
  const noLetters = placeAnswer && !reading.phone && !needs && !hasVisibleLetter(text)
  if (step === 'place') reply.push(noLetters ? { key: 'sms.badText', params: { max: MAX_FIELD } } : { key: 'sms.askCity' })
  else if (/\d/.test(text) && kept) reply.push({ key: 'sms.badPhone' })
  else if (reading.badPhone) reply.push({ key: 'sms.badPhone' })
  else reply.push({ key: !current && !saidSomething ? 'sms.welcome' : 'sms.askPhone' })
  return { reply, conversation }
}
