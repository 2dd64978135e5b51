import { randomBytes } from 'node:crypto'
import { SegmentedMessage } from 'sms-segments-calculator'

/** Form parameters as @fastify/formbody parses them: a repeated key becomes an array. */
export type Params = Record<string, string | string[]>

/** Twilio's legacy error body, which the twilio library turns into a `RestException`. */
export interface TwilioErrorBody {
  code: number
  message: string
  more_info: string
  status: number
}

export const API_VERSION = '2010-04-01'

/** The wording Twilio uses for the errors the fake produces; a failure may override it. */
export const ERROR_MESSAGES: Record<number, string> = {
  20003: 'Authenticate',
  20404: 'The requested resource was not found',
  20429: 'Too Many Requests',
  20500: 'Internal Server Error',
  21205: 'Url parameter is required.',
  21201: "No 'To' number is specified",
  21211: "The 'To' number is not a valid phone number.",
  21213: "No 'From' number is specified",
  21602: 'Message body is required.',
  21603: "A 'From' phone number is required.",
  21604: "A 'To' phone number is required.",
  21610: 'Attempt to send to unsubscribed recipient',
  21614: "'To' number is not a valid mobile number",
  30003: 'Unreachable destination handset',
  30005: 'Unknown destination handset',
  30006: 'Landline or unreachable carrier',
  30007: 'Message filtered',
}

export function twilioError(status: number, code: number, message?: string): TwilioErrorBody {
  return {
    code,
    message: message ?? ERROR_MESSAGES[code] ?? 'Error',
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status,
  }
}

/** A Twilio SID: two letters and 32 hex digits. */
export function newSid(prefix: 'SM' | 'CA'): string {
  return prefix + randomBytes(16).toString('hex')
}

/** Twilio's RFC 2822 dates: `Thu, 30 Jul 2015 20:12:31 +0000`. */
export function rfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000')
}

/** The first value of a parameter; empty strings count as missing, as they do at Twilio. */
export function param(params: Params, key: string): string | undefined {
  const value = params[key]
  const first = Array.isArray(value) ? value[0] : value
  return first === '' ? undefined : first
}

export function segmentCount(body: string): number {
  return new SegmentedMessage(body).segmentsCount
}

export function validateMessage(params: Params): TwilioErrorBody | undefined {
  if (!param(params, 'To')) return twilioError(400, 21604)
  if (!param(params, 'From') && !param(params, 'MessagingServiceSid')) return twilioError(400, 21603)
  if (!param(params, 'Body') && !param(params, 'MediaUrl')) return twilioError(400, 21602)
  return undefined
}

export function validateCall(params: Params): TwilioErrorBody | undefined {
  if (!param(params, 'To')) return twilioError(400, 21201)
  if (!param(params, 'From')) return twilioError(400, 21213)
  if (!param(params, 'Twiml') && !param(params, 'Url')) return twilioError(400, 21205)
  return undefined
}

export type Resource = Record<string, unknown> & { sid: string; status: string }

interface BuildOptions {
  accountSid: string
  sid: string
  params: Params
  now: Date
}

/** The message resource as Twilio answers a create (see `api.v2010.account.message`). */
export function buildMessage({ accountSid, sid, params, now }: BuildOptions): Resource {
  const body = param(params, 'Body') ?? ''
  const service = param(params, 'MessagingServiceSid') ?? null
  const uri = `/${API_VERSION}/Accounts/${accountSid}/Messages/${sid}`
  return {
    account_sid: accountSid,
    api_version: API_VERSION,
    body,
    date_created: rfc2822(now),
    date_sent: null,
    date_updated: rfc2822(now),
    direction: 'outbound-api',
    error_code: null,
    error_message: null,
    from: service ? null : (param(params, 'From') ?? null),
    messaging_service_sid: service,
    num_media: String([params.MediaUrl ?? []].flat().length),
    num_segments: String(segmentCount(body)),
    price: null,
    price_unit: 'USD',
    sid,
    status: service ? 'accepted' : 'queued',
    subresource_uris: { media: `${uri}/Media.json`, feedback: `${uri}/Feedback.json` },
    to: param(params, 'To') ?? null,
    uri: `${uri}.json`,
  }
}

/** The call resource as Twilio answers a create (see `api.v2010.account.call`). */
export function buildCall({ accountSid, sid, params, now }: BuildOptions): Resource {
  const uri = `/${API_VERSION}/Accounts/${accountSid}/Calls/${sid}`
  const to = param(params, 'To') ?? null
  const from = param(params, 'From') ?? null
  return {
    account_sid: accountSid,
    annotation: null,
    answered_by: null,
    api_version: API_VERSION,
    caller_name: null,
    date_created: rfc2822(now),
    date_updated: rfc2822(now),
    direction: 'outbound-api',
    duration: null,
    end_time: null,
    forwarded_from: null,
    from,
    from_formatted: from,
    group_sid: null,
    parent_call_sid: null,
    phone_number_sid: null,
    price: null,
    price_unit: 'USD',
    queue_time: '0',
    sid,
    start_time: null,
    status: 'queued',
    subresource_uris: {
      notifications: `${uri}/Notifications.json`,
      recordings: `${uri}/Recordings.json`,
      events: `${uri}/Events.json`,
    },
    to,
    to_formatted: to,
    trunk_sid: null,
    uri: `${uri}.json`,
  }
}
