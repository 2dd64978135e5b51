import closeWithGrace from 'close-with-grace'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import { ConfigError, loadConfig } from '../src/config.js'
import { assertMigrated } from '../src/db/migrations.js'
import { createPool } from '../src/db/pool.js'
import { loggerOptions } from '../src/logger.js'
import { closeCheckinsQueues, createCheckinsQueues } from '../src/queues/checkins.js'
import { bullConnection } from '../src/queues/connection.js'
import { createNotifyQueue } from '../src/queues/notify.js'
import { createPartnerWebhooksQueue } from '../src/queues/partner-webhooks.js'
import { escalateReferrals } from '../src/services/referrals.js'
import { createTwilioClient } from '../src/twilio/client.js'
import { startLeaseKeeping } from './leases.js'
import { startMaintenance } from './maintenance.js'
import { startNotifyWorker } from './notify.js'
import { createOutboxRelay } from './outbox-relay.js'
import { createDeliveryRelay, restoreDeliveries } from './partner-deliveries.js'
import { startPartnerWebhookWorker } from './partner-webhooks.js'
import { createReconciler } from './reconciler.js'

/**
 * The worker process: the outbox relay, the notify worker, the volunteer queues' stalled checks and
 * lease sweeper, maintenance, and the reconciler (queues rebuilt from PostgreSQL when Redis
 * forgot them). Run any number of them.
 */
async function main() {
  const config = loadConfig()
  const log = pino(loggerOptions(config.LOG_LEVEL)).child({ process: 'worker' })
  const db = createPool(config)
  await assertMigrated(db)
  // The relay produces with a fail-fast connection: while Redis is away its rows wait in PostgreSQL.
  const producer = { connection: bullConnection(config, 'producer'), prefix: config.BULLMQ_PREFIX }
  const checkins = createCheckinsQueues(producer)
  const notify = createNotifyQueue(producer)
  const partnerWebhooks = createPartnerWebhooksQueue(producer)
  for (const queue of [...Object.values(checkins), notify, partnerWebhooks])
    queue.on('error', (err) => log.warn({ err, queue: queue.name }, 'queue connection error'))
  const relay = createOutboxRelay({ config, db, checkins, notify, log })
  const twilio = createTwilioClient(config)
  const notifyWorker = startNotifyWorker({
    config,
    db,
    twilio,
    log,
    connection: bullConnection(config, 'worker'),
    prefix: config.BULLMQ_PREFIX,
  })
  await relay.start()
  // Webhook pushes to partners: their rows are their own outbox, moved by a relay of their own.
  const deliveryRelay = createDeliveryRelay({ config, db, queue: partnerWebhooks, log })
  deliveryRelay.start()
  const webhookWorker = startPartnerWebhookWorker({
    config,
    db,
    log,
    connection: bullConnection(config, 'worker'),
    prefix: config.BULLMQ_PREFIX,
  })
  // Started after the relay: intake keeps flowing even if Redis is away at start.
  const maintenance = await startMaintenance({
    config,
    db,
    log,
    twilio,
    connection: bullConnection(config, 'worker'),
    prefix: config.BULLMQ_PREFIX,
  })
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3 })
  redis.on('error', (err) => log.warn({ err }, 'redis connection error'))
  const leases = startLeaseKeeping({
    config,
    db,
    redis,
    queues: checkins,
    log,
    connection: bullConnection(config, 'worker'),
    prefix: config.BULLMQ_PREFIX,
  })
  // On the fail-fast producer queues: while Redis is away a run fails at once and the next retries.
  const reconciler = createReconciler({
    config,
    db,
    checkins,
    notify,
    redis,
    log,
    restoreSchedules: maintenance.restoreSchedules,
    restoreDeliveries: () => restoreDeliveries({ config, db, queue: partnerWebhooks, redis }),
  })
  reconciler.start()
  // Cases offered to a partner and left untouched move on (SKIP LOCKED: any number of workers may run it).
  const referrals = setInterval(() => {
    escalateReferrals(db, config.REFERRAL_ESCALATE_MINUTES).catch((err) =>
      log.warn({ err }, 'referral escalation failed; next run retries'),
    )
  }, 30_000)
  log.info({ twilio: config.TWILIO_BASE_URL ? 'redirected to TWILIO_BASE_URL' : 'api.twilio.com' }, 'workers started')

  closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'closing after an error')
    else log.info({ signal }, 'closing')
    clearInterval(referrals)
    await reconciler.stop()
    await relay.stop()
    await deliveryRelay.stop()
    await notifyWorker.close()
    await webhookWorker.close()
    await maintenance.close()
    await leases.close()
    redis.disconnect()
    await Promise.all([closeCheckinsQueues(checkins), notify.close(), partnerWebhooks.close()])
    await db.end()
  })
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `cannot start workers: ${err instanceof Error ? err.message : err}`)
  process.exit(1)
})
