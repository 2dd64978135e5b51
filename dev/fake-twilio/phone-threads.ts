import { type Params, param } from './resources.js'
import type { InboundRecord, Recorded } from './types.js'

/** One line of a phone's conversation with the service, as the handset would show it. */
export interface ThreadEntry {
  at: Date
  /** `received`: the service texted or called this phone; `sent`: this phone texted the service. */
  direction: 'received' | 'sent'
  kind: 'sms' | 'call' | 'problem'
  /** The text (a call: what it says); empty for a call whose words the fake cannot see. */
  text: string
  /** A call's recorded prompts (Kazakh `<Play>`), counted rather than shown. */
  recordings?: number
  /** For `problem`: the service's HTTP status, or `unreachable`. */
  answer?: number | 'unreachable'
}

/** Every SMS and call between the service and one phone number, newest first. */
export interface Thread {
  phone: string
  entries: ThreadEntry[]
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

function unescapeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_, name: string) => {
    if (name[0] !== '#') return ENTITIES[name.toLowerCase()] ?? ''
    const code = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1))
    return String.fromCodePoint(code)
  })
}

/** The texts of one TwiML verb (`Say`, `Message`) in document order. */
export function twimlTexts(twiml: string, verb: 'Say' | 'Message'): string[] {
  const pattern = new RegExp(`<${verb}(?:\\s[^>]*)?>([\\s\\S]*?)</${verb}>`, 'g')
  return [...twiml.matchAll(pattern)].map((m) => unescapeXml(m[1] ?? '').trim()).filter(Boolean)
}

function callEntry(params: Params, at: Date): ThreadEntry {
  const twiml = param(params, 'Twiml') ?? ''
  // The same sentence is said twice in an announcement: show it once.
  const said = [...new Set(twimlTexts(twiml, 'Say'))]
  const recordings = (twiml.match(/<Play[\s>]/g) ?? []).length
  return { at, direction: 'received', kind: 'call', text: said.join('\n'), ...(recordings > 0 ? { recordings } : {}) }
}

/**
 * Groups what the fake saw into conversations per phone number: messages and calls the service
 * made (by `To`), texts sent to the service from the simulator (by `From`) and the service's
 * TwiML replies to them. Threads and their entries are newest first.
 */
export function phoneThreads(options: { messages: Recorded[]; calls: Recorded[]; inbound: InboundRecord[] }): Thread[] {
  const byPhone = new Map<string, Array<ThreadEntry & { order: number }>>()
  let order = 0
  const add = (phone: string | undefined, entry: ThreadEntry) => {
    if (!phone) return
    const list = byPhone.get(phone) ?? []
    list.push({ ...entry, order: order++ })
    byPhone.set(phone, list)
  }
  for (const m of options.messages) {
    add(param(m.params, 'To'), { at: m.receivedAt, direction: 'received', kind: 'sms', text: param(m.params, 'Body') ?? '' })
  }
  for (const c of options.calls) add(param(c.params, 'To'), callEntry(c.params, c.receivedAt))
  for (const sms of options.inbound) {
    add(sms.from, { at: sms.sentAt, direction: 'sent', kind: 'sms', text: sms.body })
    if (sms.answer === 200) {
      for (const text of sms.replies) add(sms.from, { at: sms.answeredAt, direction: 'received', kind: 'sms', text })
    } else add(sms.from, { at: sms.answeredAt, direction: 'received', kind: 'problem', text: '', answer: sms.answer })
  }
  // Later first; at the same instant, the one recorded later (a reply after its question).
  const newestFirst = (a: { at: Date; order: number }, b: { at: Date; order: number }) =>
    b.at.getTime() - a.at.getTime() || b.order - a.order
  return [...byPhone.entries()]
    .map(([phone, list]) => ({ phone, list: list.sort(newestFirst) }))
    .sort((a, b) => newestFirst(a.list[0] as ThreadEntry & { order: number }, b.list[0] as ThreadEntry & { order: number }))
    .map(({ phone, list }) => ({ phone, entries: list.map(({ order: _, ...entry }) => entry) }))
}
