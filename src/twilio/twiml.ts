import twilio from 'twilio'
import { message } from '../domain/messages/index.js'
import type { Language } from '../domain/request-states.js'

type Voice = { language: 'ru-RU' | 'en-US'; voice: 'Polly.Tatyana' | 'Polly.Joanna' }

/**
 * Twilio has no Kazakh voice: a call to a Kazakh-speaking requester is read in Russian, which
 * nearly everyone in Kazakhstan understands; their SMS stay in Kazakh.
 */
export function spokenLanguage(language: Language): 'ru' | 'en' {
  return language === 'en' ? 'en' : 'ru'
}

const VOICES: Record<'ru' | 'en', Voice> = {
  ru: { language: 'ru-RU', voice: 'Polly.Tatyana' },
  en: { language: 'en-US', voice: 'Polly.Joanna' },
}

/**
 * A call that reads the text twice, then offers "press 1 to hear again" (the key press goes to
 * `gatherUrl`, which answers with this same TwiML), then says goodbye.
 */
export function announcementTwiml(options: { language: Language; text: string; gatherUrl: string }): string {
  const spoken = spokenLanguage(options.language)
  const voice = VOICES[spoken]
  const response = new twilio.twiml.VoiceResponse()
  response.say(voice, options.text)
  response.pause({ length: 1 })
  response.say(voice, options.text)
  const gather = response.gather({ input: ['dtmf'], numDigits: 1, timeout: 6, action: options.gatherUrl, method: 'POST' })
  gather.say(voice, message(spoken, 'voice.pressOne'))
  response.say(voice, message(spoken, 'voice.goodbye'))
  return response.toString()
}

export function goodbyeTwiml(language: Language): string {
  const spoken = spokenLanguage(language)
  const response = new twilio.twiml.VoiceResponse()
  response.say(VOICES[spoken], message(spoken, 'voice.goodbye'))
  response.hangup()
  return response.toString()
}

/** The answer to an inbound SMS: one reply message, or none. */
export function smsReplyTwiml(text: string | null): string {
  const response = new twilio.twiml.MessagingResponse()
  if (text) response.message(text)
  return response.toString()
}

/**
 * The volunteer's leg of a bridged call: a short notice, then the relative is dialled with the
 * service's number as caller ID, so neither side sees the other's number.
 */
export function bridgeTwiml(options: {
  language: Language
  callerId: string
  relativePhone: string
  dialActionUrl: string
}): string {
  const spoken = spokenLanguage(options.language)
  const response = new twilio.twiml.VoiceResponse()
  response.say(VOICES[spoken], message(spoken, 'voice.connecting'))
  response.dial({ callerId: options.callerId, timeout: 40, action: options.dialActionUrl, method: 'POST' }, options.relativePhone)
  return response.toString()
}

export function hangupTwiml(): string {
  const response = new twilio.twiml.VoiceResponse()
  response.hangup()
  return response.toString()
}
