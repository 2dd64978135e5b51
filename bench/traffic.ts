/**
 * Steady intake through the three doors a requester has: the JSON API, the web form (a browser
 * that fetched the form for its CSRF token) and SMS (Twilio's signed webhook: a first message
 * naming the relative's phone, name and city, then, unless its reply already carried the
 * reference, "0" for no special needs). An open loop: the
 * rate holds whatever the answers do, each call has a deadline, and the calls in flight are
 * bounded. An intake counts as acknowledged when its answer carried a reference: the JSON's
 * `reference`, the form page's status link, the SMS reply's code.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { newSid } from '../dev/fake-twilio/resources.js'
import { signedPost } from '../dev/fake-twilio/twilio-side.js'
import { normalisePhone } from '../src/domain/phone.js'
import { REFERENCE_ALPHABET } from '../src/domain/reference.js'
import { bodyGenerator, type IntakeBody } from './bodies.js'
import { errorName, type Recorder } from './recorder.js'
import { ACCOUNT_SID, AUTH_TOKEN } from './stack.js'

export const CHANNELS = ['api', 'web', 'sms'] as const
export type Channel = (typeof CHANNELS)[number]

export type Intake = {
  channel: Channel
  startedAt: number
  endedAt: number
  reference?: string
  /** The requester's phone as sent (kept in memory only: the soak looks the status up with it). */
  phone: string
  /** Why no reference came back: a status, a transport error, or what the reply lacked. */
  failure?: string
}

const LETTER = `[${REFERENCE_ALPHABET}]`
const SPOKEN_REFERENCE = new RegExp(`(${LETTER}{4})-(${LETTER}{4})`)
const STATUS_LINK = new RegExp(`/status\\?ref=(${LETTER}{8})`)
// Cities the SMS conversation knows, so that a first message always reaches the needs question.
const SMS_CITIES = ['Алматы', 'Астана', 'Шымкент', 'Караганда', 'Almaty']
const TIMEOUT_MS = 10_000

export type TrafficOptions = {
  baseUrl: string
  recorder: Recorder
  /** Intakes per second on each channel. */
  rates: Record<Channel, number>
  maxInFlight: number
}

const e164 = (typed: string) => {
  const phone = normalisePhone(typed)
  if (!phone.ok) throw new Error('the body generator made an invalid phone')
  return phone.e164
}

/** Runs until `stop()`; `intakes` holds every attempt with its outcome. */
export class IntakeTraffic {
  readonly intakes: Intake[] = []
  private readonly bodies = bodyGenerator()
  private readonly browser = { cookie: '', token: '' }
  private inFlight = new Set<Promise<void>>()
  private timer: NodeJS.Timeout | undefined
  private smsCount = 0

  constructor(private readonly o: TrafficOptions) {}

  start() {
    const credit: Record<Channel, number> = { api: 0, web: 0, sms: 0 }
    let last = performance.now()
    this.timer = setInterval(() => {
      const now = performance.now()
      for (const channel of CHANNELS) {
        credit[channel] += (this.o.rates[channel] * (now - last)) / 1000
        // Whole intakes only; a backlog of credit after a stall is not fired all at once.
        for (credit[channel] = Math.min(credit[channel], 50); credit[channel] >= 1; credit[channel]--) this.launch(channel)
      }
      last = now
    }, 20)
  }

  /** Stops sending and waits (bounded by the calls' deadlines) for the calls in flight. */
  async stop() {
    clearInterval(this.timer)
    await Promise.race([Promise.allSettled([...this.inFlight]), sleep(3 * TIMEOUT_MS)])
  }

  private launch(channel: Channel) {
    const startedAt = Date.now()
    const body = this.bodies.next()
    const phone = body.requester.phone
    if (this.inFlight.size >= this.o.maxInFlight) {
      this.intakes.push({ channel, startedAt, endedAt: startedAt, phone, failure: 'not sent: client at its in-flight bound' })
      return
    }
    const one = (channel === 'api' ? this.api(body) : channel === 'web' ? this.web(body) : this.sms(body))
      .catch((err: Error) => ({ failure: `client error ${err.message}` }))
      .then((result) => {
        this.intakes.push({ channel, startedAt, endedAt: Date.now(), phone, ...result })
        this.inFlight.delete(one)
      })
    this.inFlight.add(one)
  }

  private async api(body: IntakeBody): Promise<Partial<Intake>> {
    const reply = await this.o.recorder.fetch('POST /api/v1/requests', `${this.o.baseUrl}/api/v1/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: TIMEOUT_MS,
    })
    if ('error' in reply) return { failure: reply.error }
    const reference = reply.status < 300 ? (JSON.parse(reply.text) as { reference?: string }).reference : undefined
    return reference ? { reference } : { failure: String(reply.status) }
  }

  /** The form's CSRF token and cookie, fetched once and again after a 403. */
  private async csrf(): Promise<string | null> {
    if (this.browser.token) return null
    const page = await this.o.recorder.fetch('GET /', `${this.o.baseUrl}/`, { timeoutMs: TIMEOUT_MS })
    if ('error' in page) return page.error
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1]
    const cookie = page.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ')
    if (page.status !== 200 || !token) return `form ${page.status}`
    Object.assign(this.browser, { token, cookie })
    return null
  }

  private async web(body: IntakeBody): Promise<Partial<Intake>> {
    const failed = await this.csrf()
    if (failed) return { failure: failed }
    const { requester: r, relative: rel, flags } = body
    const form = new URLSearchParams({
      _csrf: this.browser.token,
      requesterName: r.name,
      requesterPhone: r.phone,
      language: r.language,
      notifyVia: r.notifyVia,
      relativeName: rel.name,
      relativePhone: rel.phone,
      city: rel.city,
      address: rel.address ?? '',
      notes: rel.notes ?? '',
      consent: 'true',
    })
    for (const [name, on] of Object.entries(flags)) if (on) form.set(name, 'true')
    const reply = await this.o.recorder.fetch('POST /', `${this.o.baseUrl}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.browser.cookie },
      body: form,
      timeoutMs: TIMEOUT_MS,
    })
    if ('error' in reply) return { failure: reply.error }
    if (reply.status === 403) this.browser.token = ''
    const reference = reply.status < 300 ? STATUS_LINK.exec(reply.text)?.[1] : undefined
    return reference ? { reference } : { failure: String(reply.status) }
  }

  /** One webhook of Twilio's, signed with the shared auth token, with a deadline. */
  private async inbound(from: string, text: string): Promise<{ status: number; body: string } | { error: string }> {
    const messageSid = newSid('SM')
    const params = { MessageSid: messageSid, SmsSid: messageSid, AccountSid: ACCOUNT_SID, From: from, To: '+15005550006' }
    const start = performance.now()
    const route = 'POST /twilio/sms'
    try {
      const answer = await signedPost({
        url: `${this.o.baseUrl}/twilio/sms`,
        params: { ...params, Body: text, NumMedia: '0', SmsStatus: 'received', ApiVersion: '2010-04-01' },
        authToken: AUTH_TOKEN,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      })
      this.o.recorder.add(route, performance.now() - start, String(answer.status))
      return answer
    } catch (err) {
      const error = errorName(err)
      this.o.recorder.add(route, performance.now() - start, error)
      return { error }
    }
  }

  private async sms(body: IntakeBody): Promise<Partial<Intake>> {
    const from = e164(body.requester.phone)
    const city = SMS_CITIES[this.smsCount++ % SMS_CITIES.length] as string
    const first = await this.inbound(from, `${body.relative.phone} ${body.relative.name} ${city}`)
    if ('error' in first) return { failure: `first sms ${first.error}` }
    if (first.status !== 200) return { failure: `first sms ${first.status}` }
    // A first message naming a phone and a place may already get the reference.
    const early = SPOKEN_REFERENCE.exec(first.body)
    if (early) return { reference: `${early[1]}${early[2]}` }
    const second = await this.inbound(from, '0')
    if ('error' in second) return { failure: second.error }
    const match = second.status === 200 ? SPOKEN_REFERENCE.exec(second.body) : null
    return match
      ? { reference: `${match[1]}${match[2]}` }
      : { failure: second.status === 200 ? 'reply without a reference' : String(second.status) }
  }
}
