import { type ConnectionOptions, type JobsOptions, Queue } from 'bullmq'
import { z } from 'zod'
import type { Config } from '../config.js'

/** Outbound SMS and voice calls to requesters, through Twilio. */
export const NOTIFY_QUEUE = 'notify'

/** A notify job carries the notification id only; the worker reads the rest from PostgreSQL. */
export const NotifyJobSchema = z.object({ notificationId: z.string().regex(/^\d+$/) })
export type NotifyJob = z.infer<typeof NotifyJobSchema>

export function notifyJobId(notificationId: string): string {
  return `notification-${notificationId}`
}

/** Retries with exponential back-off; finished jobs are trimmed, the notification row stays. */
export function notifyJobOptions(config: Pick<Config, 'NOTIFY_ATTEMPTS' | 'NOTIFY_BACKOFF_MS'>): JobsOptions {
  return {
    attempts: config.NOTIFY_ATTEMPTS,
    backoff: { type: 'exponential', delay: config.NOTIFY_BACKOFF_MS },
    removeOnComplete: { count: 10_000 },
    removeOnFail: { count: 10_000 },
  }
}

export function createNotifyQueue(options: { connection: ConnectionOptions; prefix: string }): Queue<NotifyJob> {
  return new Queue<NotifyJob>(NOTIFY_QUEUE, { connection: options.connection, prefix: options.prefix })
}
