import { pino } from 'pino'
import type { Test } from 'tap'
import { createFakeTwilio } from '../dev/fake-twilio/server.js'
import type { Config } from '../src/config.js'
import { closeCheckinsQueues, createCheckinsQueues } from '../src/queues/checkins.js'
import { bullConnection } from '../src/queues/connection.js'
import { createNotifyQueue } from '../src/queues/notify.js'
import { createTwilioClient } from '../src/twilio/client.js'
import { startNotifyWorker } from '../workers/notify.js'
import { createOutboxRelay } from '../workers/outbox-relay.js'
import { build, freePort } from './helper.js'

const silent = pino({ level: 'silent' })

/**
 * The API listening on a real port, a fake Twilio that calls it back, and the worker side (relay
 * and notify worker) wired as in production, the twilio library pointed at the fake.
 */
export async function stack(t: Test, overrides: Partial<Config> = {}, options: { workers?: boolean } = {}) {
  const port = await freePort()
  const accountSid = `AC${'1'.repeat(32)}`
  const authToken = 'test-auth-token-123'
  const fake = await createFakeTwilio({
    accountSid,
    authToken,
    webhookBaseUrl: `http://127.0.0.1:${port}`,
    autoStatusCallbacks: true,
  })
  t.teardown(() => fake.close())
  const { app, config } = await build(t, {
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    TWILIO_ACCOUNT_SID: accountSid,
    TWILIO_AUTH_TOKEN: authToken,
    TWILIO_BASE_URL: fake.url,
    TWILIO_FROM: '+15005550006',
    TWILIO_TIMEOUT_MS: 500,
    NOTIFY_BACKOFF_MS: 50,
    NOTIFY_RATE_PER_SECOND: 50,
    ...overrides,
  })
  await app.listen({ host: '127.0.0.1', port })
  const twilio = createTwilioClient(config)
  const deps = { config, db: app.db, twilio, log: silent }
  if (options.workers !== false) {
    const producer = { connection: bullConnection(config, 'producer'), prefix: config.BULLMQ_PREFIX }
    const checkins = createCheckinsQueues(producer)
    const notify = createNotifyQueue(producer)
    const relay = createOutboxRelay({ config, db: app.db, checkins, notify, log: silent })
    const worker = startNotifyWorker({ ...deps, connection: bullConnection(config, 'worker'), prefix: config.BULLMQ_PREFIX })
    await relay.start()
    t.teardown(async () => {
      await relay.stop()
      await worker.close()
      await closeCheckinsQueues(checkins)
      await notify.close()
    })
  }
  return { app, config, fake, deps }
}
