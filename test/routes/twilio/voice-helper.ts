import { randomBytes } from 'node:crypto'
import { XMLParser } from 'fast-xml-parser'
import type { FastifyInstance } from 'fastify'
import type { FakeTwilio } from '../../../dev/fake-twilio/server.js'
import type { Config } from '../../../src/config.js'
import { type MessageKey, message } from '../../../src/domain/messages/index.js'
import type { Language } from '../../../src/domain/request-states.js'
import { charKey } from '../../../src/domain/voice-prompts.js'
import { twilioPost } from '../../helper.js'

type Verb = { verb: string; attrs: Record<string, string>; text: string; children: Verb[] }
type Parsed = Record<string, unknown[]> & { ':@'?: Record<string, string>; '#text'?: string }

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  preserveOrder: true,
  parseTagValue: false,
  parseAttributeValue: false,
})

function verbs(list: Parsed[]): Verb[] {
  return list.flatMap((item) => {
    const verb = Object.keys(item).find((k) => k !== ':@')
    if (!verb || verb === '#text') return []
    const content = item[verb] as Parsed[]
    const children = verbs(content)
    // A <Say> with a <prosody> inside speaks the prosody's words.
    const text = [...content.map((c) => c['#text'] ?? ''), ...children.map((c) => c.text)].join('')
    return [{ verb, attrs: item[':@'] ?? {}, text, children }]
  })
}

/** What the caller hears and how the call listens, read from the TwiML (parsed as XML). */
export type Heard = {
  /** `say:<language>:<text>` or `play:<key>` (a Kazakh recording), in order. */
  speech: string[]
  listen: 'keys' | 'record' | 'hangup'
  gather?: Record<string, string>
  record?: Record<string, string>
  /** Where the answer goes: the Gather/Record action, which the Redirect repeats for silence. */
  action?: string
  audioUrls: string[]
}

export function hear(xml: string): Heard {
  const doc = parser.parse(xml) as Parsed[]
  const response = doc.find((n) => 'Response' in n)
  if (!response) throw new Error(`not TwiML: ${xml.slice(0, 200)}`)
  const top = verbs(response.Response as Parsed[])
  const audioUrls: string[] = []
  const speak = (list: Verb[]): string[] =>
    list.flatMap((v) => {
      if (v.verb === 'Say') return [`say:${v.attrs.language}:${v.text}`]
      if (v.verb !== 'Play') return []
      audioUrls.push(v.text)
      return [`play:${/\/assets\/audio\/kk\/(voice\.[\w.]+)\.mp3\?v=[0-9a-f]+$/.exec(v.text)?.[1] ?? v.text}`]
    })
  const speech = top.flatMap((v) => (v.verb === 'Gather' ? speak(v.children) : speak([v])))
  const gather = top.find((v) => v.verb === 'Gather')
  const record = top.find((v) => v.verb === 'Record')
  const redirect = top.find((v) => v.verb === 'Redirect')
  const hangup = top.some((v) => v.verb === 'Hangup')
  const action = gather?.attrs.action ?? record?.attrs.action
  if (!hangup && (!action || redirect?.text !== action)) throw new Error(`a question must redirect to its action: ${xml}`)
  return {
    speech,
    listen: hangup ? 'hangup' : record ? 'record' : 'keys',
    gather: gather?.attrs,
    record: record?.attrs,
    action,
    audioUrls,
  }
}

const VOICE: Record<'ru' | 'en', string> = { ru: 'ru-RU', en: 'en-US' }

/** What `keys` sound like in a language: Kazakh recordings, or Twilio's voice saying the catalogue text. */
export function expected(language: Language, parts: (MessageKey | { spell: string } | { say: string })[]): string[] {
  return parts.flatMap((p) => {
    if (typeof p === 'object' && 'say' in p) return [`say:ru-RU:${p.say}`]
    if (typeof p === 'object') {
      const keys = [...p.spell].map(charKey)
      if (language === 'kk') return keys.map((k) => `play:${k}`)
      return [`say:${VOICE[language]}:${keys.map((k) => message(language, k)).join(', ')}`]
    }
    return language === 'kk' ? [`play:${p}`] : [`say:${VOICE[language]}:${message(language, p)}`]
  })
}

/** One caller on the line: the service's webhooks, signed as Twilio signs them. */
export class Caller {
  readonly callSid = `CA${randomBytes(16).toString('hex')}`
  heard: Heard | undefined
  constructor(
    private readonly env: { app: FastifyInstance; config: Config; fake: FakeTwilio },
    readonly from: string,
  ) {}

  private async post(url: string, params: Record<string, string>) {
    const res = await twilioPost(this.env.app as never, this.env.config, url, {
      CallSid: this.callSid,
      From: this.from,
      ...params,
    })
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
    if (!String(res.headers['content-type']).startsWith('text/xml')) throw new Error('not XML')
    this.heard = hear(res.body)
    return this.heard
  }

  /** The path and query of the last question's action (Twilio posts to the absolute URL). */
  get actionPath(): string {
    const url = new URL(this.heard?.action ?? '')
    return url.pathname + url.search
  }

  dial() {
    return this.post('/twilio/voice/incoming', { To: '+15005550006', CallStatus: 'ringing', Direction: 'inbound' })
  }
  press(digits: string, path = this.actionPath) {
    return this.post(path, { Digits: digits })
  }
  /** Nothing pressed or said: Twilio follows the Redirect after the question. */
  silence(path = this.actionPath) {
    return this.post(path, {})
  }
  /** Speaks after the tone: the fake makes the recording, Twilio posts its SID to the action. */
  async record(path = this.actionPath) {
    const recording = this.env.fake.addRecording({ callSid: this.callSid })
    await this.post(path, {
      RecordingSid: recording.sid,
      RecordingUrl: recording.url,
      RecordingDuration: String(recording.duration),
      Digits: '#',
    })
    return recording
  }
}
