import { type Activity, createFakeTwilio } from './server.js'

/**
 * The fake Twilio for the local demo. Environment:
 * - FAKE_TWILIO_PORT: port to listen on (default 3099)
 * - TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN: the credentials it accepts and signs webhooks with
 *   (defaults AC000…0 / fake-twilio-auth-token, the shape of real ones but useless at Twilio)
 * - PUBLIC_BASE_URL: the service's public base URL, for webhooks (default http://localhost:3000)
 * - TIME_ZONE: the zone the phone simulator (`/demo/phone`) shows times in (default Asia/Almaty)
 */
const env = process.env
const port = Number(env.FAKE_TWILIO_PORT ?? 3099)
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`FAKE_TWILIO_PORT must be a port number, got ${env.FAKE_TWILIO_PORT}`)
  process.exit(1)
}

/** One line per event: sids, statuses and counts only, never a phone number or a message text. */
function describe(activity: Activity): string {
  if (activity.kind === 'callback') {
    const answer = activity.answer === 'error' ? 'unreachable' : `HTTP ${activity.answer}`
    return `callback ${activity.sid} ${activity.status} -> ${answer}`
  }
  const parts = [activity.resource, String(activity.answer), activity.sid, activity.status]
  if (activity.numSegments !== undefined) parts.push(`segments=${activity.numSegments}`)
  if (activity.code !== undefined) parts.push(`code=${activity.code}`)
  return parts.filter((part) => part !== undefined).join(' ')
}

const timeZone = env.TIME_ZONE || 'Asia/Almaty'
try {
  new Intl.DateTimeFormat('en', { timeZone })
} catch {
  console.error(`TIME_ZONE must be an IANA time zone such as Asia/Almaty, got ${timeZone}`)
  process.exit(1)
}

const fake = await createFakeTwilio({
  accountSid: env.TWILIO_ACCOUNT_SID ?? 'AC00000000000000000000000000000000',
  authToken: env.TWILIO_AUTH_TOKEN ?? 'fake-twilio-auth-token',
  host: '127.0.0.1',
  port,
  webhookBaseUrl: env.PUBLIC_BASE_URL ?? 'http://localhost:3000',
  autoStatusCallbacks: true,
  timeZone,
  onActivity: (activity) => console.log(`fake-twilio ${describe(activity)}`),
})
console.log(
  `fake-twilio listening on ${fake.url}; phone simulator (every SMS and call, and a box to text the service): ${fake.url}/demo/phone`,
)

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    fake.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`fake-twilio: close failed: ${err instanceof Error ? err.message : err}`)
        process.exit(1)
      },
    )
  })
}
