import { createHmac } from 'node:crypto'

/**
 * The signature of a webhook push to a partner: `sha256=` and the hex HMAC-SHA256, keyed with the
 * partner's webhook secret, of `${timestamp}.${body}`. The timestamp (Unix seconds, also sent as
 * X-Bailanys-Timestamp) is signed with the body so that a captured push cannot be replayed later.
 */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}
