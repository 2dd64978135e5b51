import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Config } from '../src/config.js'
import { enqueuedPending, lockToEnqueue, markEnqueued } from '../src/db/partner-delivery-repository.js'
import { type Db, withTransaction } from '../src/db/pool.js'
import {
  type PartnerWebhookJob,
  PartnerWebhookJobSchema,
  partnerWebhookJobId,
  partnerWebhookJobOptions,
} from '../src/queues/partner-webhooks.js'
import { pollLoop } from './poll-loop.js'
import { presence, seen, snapshot } from './reconciler-lookups.js'

const BATCH = 200

type QueueConfig = Pick<Config, 'PARTNER_WEBHOOK_ATTEMPTS' | 'PARTNER_WEBHOOK_BACKOFF_MS'>

/**
 * Adds push jobs by delivery id. A replayed delivery's old job (failed, kept for inspection) would
 * make the add a no-op, so it is removed first: the replay runs under the same job id.
 */
export async function enqueueDeliveries(
  queue: Queue<PartnerWebhookJob>,
  config: QueueConfig,
  rows: { id: string; replayed?: boolean }[],
): Promise<void> {
  for (const r of rows) if (r.replayed) await queue.remove(partnerWebhookJobId(r.id))
  const opts = partnerWebhookJobOptions(config)
  await queue.addBulk(
    rows.map((r) => {
      const data = PartnerWebhookJobSchema.parse({ deliveryId: r.id })
      return { name: 'push', data, opts: { ...opts, jobId: partnerWebhookJobId(data.deliveryId) } }
    }),
  )
}

export type DeliveryRelayDeps = {
  config: QueueConfig & Pick<Config, 'OUTBOX_POLL_MS'>
  db: Db
  queue: Queue<PartnerWebhookJob>
  log: Logger
}

/**
 * The deliveries are their own outbox: a row is written in the referral's transaction with
 * `enqueued_at` NULL, and this relay moves such rows into the queue and stamps them in one
 * transaction (`FOR UPDATE SKIP LOCKED`: any number of workers). While Redis is away rows wait.
 */
export function createDeliveryRelay(deps: DeliveryRelayDeps) {
  async function runOnce(): Promise<number> {
    let total = 0
    for (;;) {
      const moved = await withTransaction(deps.db, async (client) => {
        const rows = await lockToEnqueue(client, BATCH)
        if (rows.length === 0) return 0
        await enqueueDeliveries(deps.queue, deps.config, rows)
        await markEnqueued(
          client,
          rows.map((r) => r.id),
        )
        return rows.length
      })
      total += moved
      if (moved < BATCH) return total
    }
  }

  const loop = pollLoop({ name: 'partner delivery relay', everyMs: deps.config.OUTBOX_POLL_MS, log: deps.log, runOnce })
  return {
    runOnce,
    start() {
      loop.start()
    },
    stop: loop.stop,
  }
}

/**
 * For the reconciler: pending deliveries handed to the queue whose job an emptied Redis forgot
 * get it back (same job id; the worker never pushes a delivered one again). Returns how many.
 */
export async function restoreDeliveries(deps: {
  config: QueueConfig
  db: Db
  queue: Queue<PartnerWebhookJob>
  redis: Redis
}): Promise<number> {
  const queue = await snapshot(deps.queue)
  let restored = 0
  for (let after = '0'; ; ) {
    const ids = await enqueuedPending(deps.db, { after, limit: 500 })
    after = ids.at(-1) ?? after
    const unseen = ids.filter((id) => !seen(queue, partnerWebhookJobId(id)))
    const states = unseen.length > 0 ? await presence(deps.redis, deps.queue, unseen.map(partnerWebhookJobId)) : []
    const missing = unseen.filter((_, i) => states[i] === 'missing')
    if (missing.length > 0) {
      const still = await enqueuedPending(deps.db, { after: '0', limit: missing.length, ids: missing })
      await enqueueDeliveries(
        deps.queue,
        deps.config,
        still.map((id) => ({ id })),
      )
      restored += still.length
    }
    if (ids.length < 500) return restored
  }
}
