import type { Failure, ResourcePath } from './failures.js'
import type { Params } from './resources.js'
import type { CallbackError, SignatureMode, WebhookAnswer } from './twilio-side.js'

export interface FakeTwilioOptions {
  /** The Account SID the fake accepts (Basic auth user name and `:AccountSid` in paths). */
  accountSid: string
  /** The auth token the fake accepts, and signs webhooks with. */
  authToken: string
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string
  /** Port to listen on. Default 0: any free port. */
  port?: number
  /** The service's public base URL, where `sendInboundSms` posts. Default: none (webhooks unavailable). */
  webhookBaseUrl?: string
  /** Play sent/delivered (messages) and call progress, posting to each StatusCallback. Default false. */
  autoStatusCallbacks?: boolean
  /** The zone the phone simulator shows times in (`/demo/phone`). Default `Asia/Almaty`. */
  timeZone?: string
  /** Told about each create request and each status callback; carries no phone number or text. */
  onActivity?: (activity: Activity) => void
}

/** A create request Twilio accepted (answered 201, or recorded before an `acceptThen` failure). */
export interface Recorded {
  sid: string
  params: Params
  receivedAt: Date
}

/** Any request the fake received, with its answer: a status code, or `hang` / `reset`. */
export interface RequestRecord {
  method: string
  url: string
  params: Params
  status: number | 'hang' | 'reset'
  receivedAt: Date
}

/** What happened, without personal data: safe to log. */
export type Activity =
  | ({ kind: 'create'; resource: ResourcePath; answer: number | 'hang' | 'reset' } & Outcome)
  | CallbackActivity

/** How a create request ended: the resource made (sid, status, segments) or the Twilio error code. */
export interface Outcome {
  sid?: string
  status?: string
  numSegments?: number
  code?: number
}

export interface CallbackActivity {
  kind: 'callback'
  sid: string
  status: string
  /** The service's HTTP status, or `error` when the callback could not be delivered. */
  answer: number | 'error'
}

/** A text the service was sent through `sendInboundSms` (the phone simulator's box), with its answer. */
export interface InboundRecord {
  from: string
  to: string
  body: string
  sentAt: Date
  answeredAt: Date
  /** The service's HTTP status, or `unreachable` when it could not be reached. */
  answer: number | 'unreachable'
  /** The texts of the service's TwiML reply (`<Message>`), in order. */
  replies: string[]
}

export interface InboundSms {
  from: string
  body: string
  /** Default: the first `From` the service sent a message from, else +15005550006. */
  to?: string
  messageSid?: string
  /** Path under `webhookBaseUrl`. Default `/twilio/sms`. */
  path?: string
  signature?: SignatureMode
}

export interface FakeTwilio {
  /** Base URL of the fake, e.g. `http://127.0.0.1:43210`. */
  readonly url: string
  readonly messages: Recorded[]
  readonly calls: Recorded[]
  readonly requests: RequestRecord[]
  readonly callbackErrors: CallbackError[]
  /** Texts posted to the service's SMS webhook by `sendInboundSms`, with the service's replies. */
  readonly inbound: InboundRecord[]
  /** Queues a failure for the next matching create request(s); fetches are never failed. */
  failNext(failure: Failure): void
  /** Forgets recorded requests, stored resources, queued failures and pending status callbacks. */
  reset(): void
  /** Posts Twilio's incoming-SMS webhook to `webhookBaseUrl + path`, signed like Twilio. */
  sendInboundSms(sms: InboundSms): Promise<WebhookAnswer>
  /**
   * Makes a recording of a call, as `<Record>` leaves one: its SID and RecordingUrl are what Twilio
   * posts to the action URL. It can then be fetched, played (.mp3) and deleted through the API.
   */
  addRecording(recording: { callSid: string; duration?: number }): { sid: string; url: string; duration: number }
  /** Posts a signed status callback to an absolute URL; AccountSid and ApiVersion are added unless given. */
  sendStatusCallback(url: string, params: Params, options?: { signature?: SignatureMode }): Promise<WebhookAnswer>
  /** Stops listening, cancels pending callbacks and drops hanging sockets. */
  close(): Promise<void>
}
