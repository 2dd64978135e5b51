import { type ConnectionOptions, type Job, UnrecoverableError, Worker } from 'bullmq'
import type { Logger } from 'pino'
import type { Config } from '../src/config.js'
import { type Delivery, findDelivery, recordAttempt } from '../src/db/partner-delivery-repository.js'
import { caseOfPartner } from '../src/db/partner-referral-repository.js'
import { partnerWebhook } from '../src/db/partner-repository.js'
import type { Db } from '../src/db/pool.js'
import { webhookSignature } from '../src/domain/webhook-signature.js'
import { PARTNER_WEBHOOKS_QUEUE, type PartnerWebhookJob, PartnerWebhookJobSchema } from '../src/queues/partner-webhooks.js'
import { auditPartnerRead } from '../src/services/referrals-partner.js'

export type PartnerWebhookDeps = { config: Pick<Config, 'PARTNER_WEBHOOK_TIMEOUT_MS'>; db: Db; log: Logger }

/** 2xx: delivered; 408, 429 and 5xx may pass; any other answer (4xx, a redirect) will not by retrying. */
function verdict(status: number): 'delivered' | 'retry' | 'permanent' {
  if (status >= 200 && status < 300) return 'delivered'
  if (status >= 500 || status === 408 || status === 429) return 'retry'
  return 'permanent'
}

/** Why a send got no answer, without the URL or anything the partner sent back. */
function failureOf(err: unknown): string {
  const e = err as Error & { cause?: { code?: string } }
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout'
  return `network: ${e.cause?.code ?? e.name ?? 'error'}`
}

/** Gives up on a delivery for good: recorded dead (the coordinators' dead-letter list), no retry. */
async function dead(deps: PartnerWebhookDeps, d: Delivery, why: { status?: number; error: string }): Promise<never> {
  await recordAttempt(deps.db, { id: d.id, ok: false, status: why.status, error: why.error, dead: true })
  deps.log.warn({ deliveryId: d.id, partnerId: d.partnerId, status: why.status, error: why.error }, 'partner webhook dead')
  throw new UnrecoverableError(`partner webhook: ${why.error}`)
}

/**
 * Pushes one delivery to its partner's configured webhook URL, signed (src/domain/webhook-signature.ts).
 * The body carries the case exactly as the partner API shows it (consent decides the family's
 * name and phone), and each push is an audit event like a read. A delivery that is no longer
 * pending (delivered, or dead) is never sent again, whoever adds its job.
 */
export function createPartnerWebhookProcessor(deps: PartnerWebhookDeps) {
  return async (job: Job<PartnerWebhookJob>): Promise<string> => {
    const { deliveryId } = PartnerWebhookJobSchema.parse(job.data)
    const d = await findDelivery(deps.db, deliveryId)
    if (!d) throw new UnrecoverableError(`delivery ${deliveryId} does not exist`)
    if (d.state !== 'pending') return `already ${d.state}`
    const hook = await partnerWebhook(deps.db, d.partnerId)
    if (!hook?.url || hook.intake === 'pages') return dead(deps, d, { error: 'the partner takes no webhook' })
    if (!hook.secret) return dead(deps, d, { error: 'the partner has no webhook secret to sign with' })
    // A case passed on since (declined, taken back) is no longer this partner's to see.
    const found = await caseOfPartner(deps.db, d.partnerId, d.referralId)
    if (!found) return dead(deps, d, { error: 'the case is no longer with this partner' })
    const body = JSON.stringify({ id: d.id, event: d.event, createdAt: new Date(d.createdAt).toISOString(), referral: found })
    const timestamp = Math.floor(Date.now() / 1000)
    await auditPartnerRead(deps.db, { partnerId: d.partnerId }, 'partner.case.pushed', [found])
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1)
    let status: number
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Bailanys-Webhook/1',
          'x-bailanys-delivery': d.id,
          'x-bailanys-timestamp': String(timestamp),
          'x-bailanys-signature': webhookSignature(hook.secret, timestamp, body),
        },
        body,
        // Only the configured URL: a redirect is an answer, never followed elsewhere.
        redirect: 'manual',
        signal: AbortSignal.timeout(deps.config.PARTNER_WEBHOOK_TIMEOUT_MS),
      })
      status = res.status
      await res.body?.cancel()
    } catch (err) {
      const error = failureOf(err)
      await recordAttempt(deps.db, { id: d.id, ok: false, error, dead: last })
      throw new Error(`partner webhook: ${error}`)
    }
    const outcome = verdict(status)
    if (outcome === 'permanent') return dead(deps, d, { status, error: `HTTP ${status}` })
    await recordAttempt(deps.db, {
      id: d.id,
      ok: outcome === 'delivered',
      status,
      error: outcome === 'retry' ? `HTTP ${status}` : undefined,
      dead: outcome === 'retry' && last,
    })
    if (outcome === 'retry') throw new Error(`partner webhook: HTTP ${status}`)
    deps.log.info({ deliveryId: d.id, partnerId: d.partnerId, status }, 'partner webhook delivered')
    return 'delivered'
  }
}

/** The partner-webhooks worker; closed with the others on SIGTERM. */
export function startPartnerWebhookWorker(
  deps: PartnerWebhookDeps & { connection: ConnectionOptions; prefix: string },
): Worker<PartnerWebhookJob> {
  const worker = new Worker<PartnerWebhookJob>(PARTNER_WEBHOOKS_QUEUE, createPartnerWebhookProcessor(deps), {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: 4,
  })
  worker.on('failed', (job, err) => {
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1))
      deps.log.warn({ deliveryId: job.data.deliveryId, err }, 'partner webhook failed for good')
  })
  worker.on('error', (err) => deps.log.warn({ err }, 'partner webhook worker error'))
  return worker
}
