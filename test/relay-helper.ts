import { pino } from 'pino'
import type { Test } from 'tap'
import type { Config } from '../src/config.js'
import type { Db } from '../src/db/pool.js'
import { closeCheckinsQueues, createCheckinsQueues } from '../src/queues/checkins.js'
import { bullConnection } from '../src/queues/connection.js'
import { createNotifyQueue } from '../src/queues/notify.js'
import { createOutboxRelay } from '../workers/outbox-relay.js'

/**
 * The worker side a test needs to get requests into the queues: the checkins and notify queues
 * on the test's prefix and an outbox relay (call `relay.runOnce()`), closed when the test ends.
 */
export function relayFor(t: Test, app: { db: Db }, config: Config) {
  const producer = { connection: bullConnection(config, 'producer'), prefix: config.BULLMQ_PREFIX }
  const checkins = createCheckinsQueues(producer)
  const notify = createNotifyQueue(producer)
  t.teardown(async () => {
    await closeCheckinsQueues(checkins)
    await notify.close()
  })
  const relay = createOutboxRelay({ config, db: app.db, checkins, notify, log: pino({ level: 'silent' }) })
  return { checkins, notify, relay }
}
