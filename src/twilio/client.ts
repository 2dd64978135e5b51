import twilio from 'twilio'
import type BaseRequestClient from 'twilio/lib/base/RequestClient.js'
import type { Config } from '../config.js'

export type TwilioClient = ReturnType<typeof twilio>

/** Any Twilio API origin: api.twilio.com and the edge/region forms api.<edge>.<region>.twilio.com. */
const TWILIO_ORIGIN = /^https:\/\/[a-z0-9.-]*\.twilio\.com/

/**
 * The twilio library's own HTTP client with its origin replaced by a configured base URL: the
 * documented way (the `httpClient` option) to point the very same code path at a fake Twilio
 * in tests and the demo, or at a mock built from Twilio's API description.
 */
class RedirectingRequestClient extends twilio.RequestClient {
  constructor(
    private readonly baseUrl: string,
    options: { timeout: number },
  ) {
    super(options)
  }

  override request<TData>(opts: BaseRequestClient.RequestOptions<TData>) {
    return super.request<TData>({ ...opts, uri: opts.uri.replace(TWILIO_ORIGIN, this.baseUrl.replace(/\/$/, '')) })
  }
}

/** The Twilio client of a process. TWILIO_BASE_URL set: everything goes there instead. */
export function createTwilioClient(
  config: Pick<Config, 'TWILIO_ACCOUNT_SID' | 'TWILIO_AUTH_TOKEN' | 'TWILIO_BASE_URL' | 'TWILIO_TIMEOUT_MS'>,
): TwilioClient {
  const timeout = config.TWILIO_TIMEOUT_MS
  const httpClient = config.TWILIO_BASE_URL
    ? new RedirectingRequestClient(config.TWILIO_BASE_URL, { timeout })
    : new twilio.RequestClient({ timeout })
  return twilio(config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN, { httpClient })
}

/** How `TWILIO_FROM` is used: a Messaging Service SID, or a number / alphanumeric sender ID. */
export function senderOf(from: string): { messagingServiceSid: string } | { from: string } {
  return /^MG[0-9a-fA-F]{32}$/.test(from) ? { messagingServiceSid: from } : { from }
}
