import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import twilio from 'twilio'
import { API_VERSION, newSid, type Params, param, type Resource, rfc2822, segmentCount } from './resources.js'

/** How a webhook is signed: correctly, with the wrong token, or not at all. */
export type SignatureMode = 'valid' | 'invalid' | 'missing'

/** The service's answer to a webhook. */
export interface WebhookAnswer {
  status: number
  body: string
  contentType: string | undefined
}

/** The number Twilio's test credentials treat as a valid sender. */
export const DEFAULT_NUMBER = '+15005550006'

interface SignedPost {
  url: string
  params: Params
  authToken: string
  signature?: SignatureMode
  signal?: AbortSignal
}

/** POSTs form parameters the way Twilio calls a webhook, signed with the twilio library itself. */
export async function signedPost({ url, params, authToken, signature = 'valid', signal }: SignedPost): Promise<WebhookAnswer> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'user-agent': 'TwilioProxy/1.1',
    'i-twilio-idempotency-token': randomUUID(),
  }
  if (signature !== 'missing') {
    const token = signature === 'valid' ? authToken : `not-${authToken}`
    headers['x-twilio-signature'] = twilio.getExpectedTwilioSignature(token, url, params)
  }
  const body = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) for (const item of [value].flat()) body.append(key, item)
  const res = await fetch(url, { method: 'POST', headers, body, signal })
  return { status: res.status, body: await res.text(), contentType: res.headers.get('content-type') ?? undefined }
}

interface InboundSms {
  accountSid: string
  from: string
  to: string
  body: string
  messageSid?: string
}

/** The parameters of Twilio's incoming-message webhook. */
export function inboundSmsParams({ accountSid, from, to, body, messageSid = newSid('SM') }: InboundSms): Params {
  return {
    MessageSid: messageSid,
    SmsSid: messageSid,
    SmsMessageSid: messageSid,
    AccountSid: accountSid,
    From: from,
    To: to,
    Body: body,
    NumMedia: '0',
    NumSegments: String(segmentCount(body)),
    SmsStatus: 'received',
    ApiVersion: API_VERSION,
  }
}

/** One step of a resource's life after it was accepted, and the callback announcing it. */
export interface Step {
  status: string
  /** Fields of the resource that change at this step, given the time (RFC 2822). */
  fields?: (now: string) => Record<string, unknown>
  /** Parameters to post to the StatusCallback; none when Twilio would not announce the step. */
  callback?: (now: string) => Params
}

/** Sent, then delivered, each announced with `MessageStatus`. */
export function messageSteps(resource: Resource, params: Params, accountSid: string): Step[] {
  const service = param(params, 'MessagingServiceSid')
  const base: Params = {
    MessageSid: resource.sid,
    SmsSid: resource.sid,
    AccountSid: accountSid,
    To: param(params, 'To') ?? '',
    From: param(params, 'From') ?? DEFAULT_NUMBER,
    ApiVersion: API_VERSION,
    ...(service ? { MessagingServiceSid: service } : {}),
  }
  return ['sent', 'delivered'].map((status) => ({
    status,
    fields: (now) => (status === 'sent' ? { date_sent: now } : {}),
    callback: () => ({ ...base, MessageStatus: status, SmsStatus: status }),
  }))
}

const CALL_EVENTS: Record<string, string> = {
  initiated: 'initiated',
  ringing: 'ringing',
  'in-progress': 'answered',
  completed: 'completed',
}

/**
 * Initiated, ringing, in-progress, completed. As at Twilio, only the steps whose event is listed
 * in `StatusCallbackEvent` (initiated, ringing, answered, completed) are announced; without it,
 * only `completed`.
 */
export function callSteps(resource: Resource, params: Params, accountSid: string): Step[] {
  const requested = [params.StatusCallbackEvent ?? 'completed'].flat()
  const base: Params = {
    CallSid: resource.sid,
    AccountSid: accountSid,
    To: param(params, 'To') ?? '',
    Called: param(params, 'To') ?? '',
    From: param(params, 'From') ?? '',
    Caller: param(params, 'From') ?? '',
    Direction: 'outbound-api',
    CallbackSource: 'call-progress-events',
    ApiVersion: API_VERSION,
  }
  const steps: Array<[string, (now: string) => Record<string, unknown>, Params]> = [
    ['initiated', () => ({}), {}],
    ['ringing', () => ({}), {}],
    ['in-progress', (now) => ({ start_time: now }), {}],
    ['completed', (now) => ({ end_time: now, duration: '5' }), { CallDuration: '5', Duration: '1' }],
  ]
  let sequence = 0
  return steps.map(([status, fields, extra]) => ({
    status,
    fields,
    callback: requested.includes(CALL_EVENTS[status] ?? status)
      ? (now) => ({ ...base, ...extra, CallStatus: status, SequenceNumber: String(sequence++), Timestamp: now })
      : undefined,
  }))
}

/** A status callback that could not be delivered (network error or an error status). */
export interface CallbackError {
  url: string
  sid: string
  status: string
  error: string
}

interface RunnerOptions {
  authToken: string
  intervalMs: number
  onError: (error: CallbackError) => void
  /** Each callback's outcome: the service's HTTP status, or `error` when it could not be reached. */
  onPosted?: (sid: string, status: string, answer: number | 'error') => void
}

/** Plays each accepted resource's steps in the background, one every `intervalMs`. */
export function createStepRunner({ authToken, intervalMs, onError, onPosted }: RunnerOptions) {
  let controller = new AbortController()
  const running = new Set<Promise<void>>()

  async function play(signal: AbortSignal, resource: Resource, steps: Step[], url: string | undefined) {
    for (const step of steps) {
      await sleep(intervalMs, undefined, { signal })
      const now = rfc2822(new Date())
      Object.assign(resource, step.fields?.(now), { status: step.status, date_updated: now })
      if (!url || !step.callback) continue
      const failed = (error: string) => onError({ url, sid: resource.sid, status: step.status, error })
      try {
        const answer = await signedPost({ url, params: step.callback(now), authToken, signal })
        if (answer.status >= 400) failed(`HTTP ${answer.status}`)
        onPosted?.(resource.sid, step.status, answer.status)
      } catch (err) {
        if (signal.aborted) return
        failed(err instanceof Error ? err.message : String(err))
        onPosted?.(resource.sid, step.status, 'error')
      }
    }
  }

  return {
    start(resource: Resource, steps: Step[], url: string | undefined): void {
      // A rejection here only ever means the runner was cancelled.
      const done = play(controller.signal, resource, steps, url).catch(() => {})
      running.add(done)
      void done.finally(() => running.delete(done))
    },
    /** Stops every pending step; the runner stays usable. */
    async cancel(): Promise<void> {
      controller.abort()
      controller = new AbortController()
      await Promise.allSettled(running)
    },
  }
}
