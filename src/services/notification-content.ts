import type { Config } from '../config.js'
import type { Notification } from '../db/notification-repository.js'
import { message } from '../domain/messages/index.js'
import { formatReference } from '../domain/reference.js'
import { announcementTwiml, spokenLanguage } from '../twilio/twiml.js'

type Base = Pick<Config, 'PUBLIC_BASE_URL'>
const base = (config: Base) => config.PUBLIC_BASE_URL.replace(/\/$/, '')

/** Where Twilio reports on a notification; the id in the URL is covered by the signature. */
export const callbackUrls = (config: Base, id: string) => ({
  smsStatus: `${base(config)}/twilio/status?notification=${id}`,
  callStatus: `${base(config)}/twilio/voice/status?notification=${id}`,
  gather: `${base(config)}/twilio/voice/gather?notification=${id}`,
})

/** The SMS text of a notification, in the requester's language. */
export function smsText(n: Pick<Notification, 'kind' | 'language' | 'reference' | 'message'>): string {
  return message(n.language, `notify.${n.kind}`, { reference: formatReference(n.reference), message: n.message ?? '' })
}

/** The TwiML of a notification call; the reference is spelled out so it is read letter by letter. */
export function callTwiml(config: Base, n: Pick<Notification, 'id' | 'kind' | 'language' | 'reference' | 'message'>): string {
  const spelled = formatReference(n.reference).split('').join(' ')
  const outcome = message(spokenLanguage(n.language), `notify.${n.kind}`, { reference: spelled, message: n.message ?? '' })
  // On a call the volunteer's message is read after the outcome (an SMS sends it on its own).
  const text = n.message && n.kind !== 'message' ? `${outcome} ${n.message}` : outcome
  return announcementTwiml({ language: n.language, text, gatherUrl: callbackUrls(config, n.id).gather })
}
