import { type ConnectionOptions, type JobsOptions, Queue } from 'bullmq'
import { z } from 'zod'
import type { Config } from '../config.js'

/** Signed webhook pushes of cases to partners (rows of `partner_deliveries`). */
export const PARTNER_WEBHOOKS_QUEUE = 'partner-webhooks'

/** A push carries the delivery id only: the worker reads the case and the partner's URL from PostgreSQL. */
export const PartnerWebhookJobSchema = z.object({ deliveryId: z.string().regex(/^\d+$/) })
export type PartnerWebhookJob = z.infer<typeof PartnerWebhookJobSchema>

/**
 * The job id comes from the delivery id (BullMQ refuses all-digit custom ids, hence the prefix):
 * adding a delivery that has a job already is a no-op.
 */
export function partnerWebhookJobId(deliveryId: string): string {
  return `delivery-${deliveryId}`
}

/**
 * PARTNER_WEBHOOK_ATTEMPTS tries, the delay doubling from PARTNER_WEBHOOK_BACKOFF_MS; finished
 * jobs are trimmed (the delivery row keeps the outcome).
 */
export function partnerWebhookJobOptions(
  config: Pick<Config, 'PARTNER_WEBHOOK_ATTEMPTS' | 'PARTNER_WEBHOOK_BACKOFF_MS'>,
): JobsOptions {
  return {
    attempts: config.PARTNER_WEBHOOK_ATTEMPTS,
    backoff: { type: 'exponential', delay: config.PARTNER_WEBHOOK_BACKOFF_MS },
    removeOnComplete: { count: 10_000 },
    removeOnFail: { count: 10_000 },
  }
}

export function createPartnerWebhooksQueue(options: { connection: ConnectionOptions; prefix: string }): Queue<PartnerWebhookJob> {
  return new Queue<PartnerWebhookJob>(PARTNER_WEBHOOKS_QUEUE, { connection: options.connection, prefix: options.prefix })
}
