import twilio from 'twilio'
import { type MessageKey, message } from '../domain/messages/index.js'
import type { Language } from '../domain/request-states.js'
import { charKey, type Prompt, type Speech } from '../domain/voice-prompts.js'

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

/** Where the recording of a Kazakh prompt is served, if there is one. */
export type AudioUrls = (key: MessageKey) => string | undefined
type Speaker = Pick<ReturnType<typeof twilio.twiml.VoiceResponse.prototype.gather>, 'say' | 'play' | 'pause'>

function speak(to: Speaker, speech: Speech, language: Language, audio: AudioUrls) {
  if ('pause' in speech) {
    to.pause({ length: speech.pause })
    return
  }
  const lang = 'key' in speech ? (speech.language ?? language) : language
  // Twilio has no Kazakh voice: Kazakh is played from recordings; what has none (free text a
  // volunteer typed, a recording gone missing) is read by the Russian voice, which reads Cyrillic.
  if (lang === 'kk' && !('say' in speech)) {
    const keys = 'key' in speech ? [speech.key] : [...speech.spell].map(charKey)
    for (const key of keys) {
      const url = audio(key)
      if (url) to.play(url)
      else to.say(VOICES.ru, message('kk', key))
    }
    return
  }
  const voice = VOICES[spokenLanguage(lang)]
  if ('say' in speech) to.say(voice, speech.say)
  else if ('key' in speech) to.say(voice, message(spokenLanguage(lang), speech.key))
  else
    to.say(voice, '').prosody(
      { rate: 'slow' },
      [...speech.spell].map((ch) => message(spokenLanguage(lang), charKey(ch))).join(', '),
    )
}

/**
 * A voice-line prompt as TwiML. A question is a `<Gather>` (keys) or a `<Record>` followed by a
 * `<Redirect>` to the same action URL: Twilio falls through to it on silence, so silence reaches
 * the service as an answer without input. The last prompt hangs up.
 */
export function voicePromptTwiml(options: { prompt: Prompt; language: Language; actionUrl: string; audio: AudioUrls }): string {
  const { prompt, language, actionUrl, audio } = options
  const response = new twilio.twiml.VoiceResponse()
  const { listen } = prompt
  const speaker: Speaker =
    listen.kind === 'keys'
      ? response.gather({
          input: ['dtmf'],
          numDigits: listen.numDigits,
          timeout: listen.timeout,
          ...(listen.finishOnHash ? { finishOnKey: '#' } : {}),
          action: actionUrl,
          method: 'POST',
        })
      : response
  for (const speech of prompt.speech) speak(speaker, speech, language, audio)
  if (listen.kind === 'hangup') {
    response.hangup()
    return response.toString()
  }
  if (listen.kind === 'record')
    response.record({
      action: actionUrl,
      method: 'POST',
      maxLength: listen.maxLength,
      finishOnKey: '#',
      playBeep: true,
      timeout: 5,
      trim: 'trim-silence',
    })
  response.redirect({ method: 'POST' }, actionUrl)
  return response.toString()
}
