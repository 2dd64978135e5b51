import { Queue } from 'bullmq'
import type { Config } from '../config.js'
import type { CheckinsQueues } from './checkins.js'
import { bullConnection } from './connection.js'
import { MAINTENANCE_QUEUE } from './maintenance.js'
import { createNotifyQueue } from './notify.js'
import { createPartnerWebhooksQueue } from './partner-webhooks.js'

/** Every queue of the service, as the read-only views (metrics, bull-board) see them. */
export type MonitoredQueues = { queues: Queue[]; close: () => Promise<void> }

/**
 * The API's checkins queues plus handles of its own on the worker-side queues (notify,
 * maintenance, partner webhooks), on the fail-fast producer connection; `close` closes only
 * those it opened.
 */
export function monitoredQueues(
  checkins: CheckinsQueues,
  config: Pick<Config, 'REDIS_URL' | 'BULLMQ_PREFIX'>,
  onError: (err: Error) => void,
): MonitoredQueues {
  const options = { connection: bullConnection(config, 'producer'), prefix: config.BULLMQ_PREFIX }
  const own: Queue[] = [createNotifyQueue(options), new Queue(MAINTENANCE_QUEUE, options), createPartnerWebhooksQueue(options)]
  for (const queue of own) queue.on('error', onError)
  return {
    queues: [...Object.values(checkins), ...own],
    close: async () => {
      await Promise.all(own.map((queue) => queue.close()))
    },
  }
}
