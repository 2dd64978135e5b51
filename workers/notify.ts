import { type ConnectionOptions, type Job, UnrecoverableError, Worker } from 'bullmq'
import type { Logger } from 'pino'
import type { Config } from '../src/config.js'
import {
  FINAL_STATUSES,
  findNotification,
  markAccepted,
  markFinal,
  markRetryable,
  markSending,
  type Notification,
} from '../src/db/notification-repository.js'
import type { Db } from '../src/db/pool.js'
import { isOptedOut } from '../src/db/sms-repository.js'
import { scrub } from '../src/logger.js'
import { NOTIFY_QUEUE, type NotifyJob, NotifyJobSchema } from '../src/queues/notify.js'
import { callbackUrls, callTwiml, smsText } from '../src/services/notification-content.js'
import { senderOf, type TwilioClient } from '../src/twilio/client.js'

type NotifyConfig = Pick<Config, 'PUBLIC_BASE_URL' | 'TWILIO_FROM' | 'TWILIO_VOICE_FROM' | 'NOTIFY_RATE_PER_SECOND'>
export type NotifyDeps = { config: NotifyConfig; db: Db; twilio: TwilioClient; log: Logger }

/** Twilio's answer to a request, as the library reports it (RestException). */
type TwilioError = Error & { status?: number; code?: number }

/** 429 and 5xx may pass; any other HTTP answer from Twilio (400 21211, 21610, 21614, …) will not. */
function isPermanent(err: TwilioError): boolean {
  return typeof err.status === 'number' && err.status >= 400 && err.status < 500 && err.status !== 429
}

/**
 * After an attempt whose answer never came (the worker died, or the connection broke after the
 * request was sent), looks for the message or call Twilio may have accepted, so as not to send
 * it twice: the latest to this number, created since that attempt began, with the same text.
 */
async function findEarlierSend(deps: NotifyDeps, n: Notification, body: string): Promise<string | undefined> {
  const since = (n.sendingSince?.getTime() ?? 0) - 60_000
  const to = n.toPhone as string
  if (n.channel === 'sms') {
    const messages = await deps.twilio.messages.list({ to, limit: 20 })
    return messages.find((m) => m.body === body && m.dateCreated.getTime() >= since)?.sid
  }
  const calls = await deps.twilio.calls.list({ to, limit: 20 })
  return calls.find((c) => c.dateCreated.getTime() >= since)?.sid
}

async function send(deps: NotifyDeps, n: Notification, body: string): Promise<{ sid: string; status: string }> {
  const to = n.toPhone as string
  const urls = callbackUrls(deps.config, n.id)
  if (n.channel === 'sms') {
    return deps.twilio.messages.create({ to, body, statusCallback: urls.smsStatus, ...senderOf(deps.config.TWILIO_FROM) })
  }
  const from = deps.config.TWILIO_VOICE_FROM ?? deps.config.TWILIO_FROM
  if (!/^\+\d+$/.test(from)) throw new UnrecoverableError('no voice caller ID: set TWILIO_VOICE_FROM')
  return deps.twilio.calls.create({
    to,
    from,
    twiml: callTwiml(deps.config, n),
    statusCallback: urls.callStatus,
    statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
  })
}

/**
 * Sends one notification, at most once: a notification already handed to Twilio (its SID is
 * recorded before the job completes) is never sent again, and an attempt that may have reached
 * Twilio is checked there first. Opted-out numbers get nothing.
 */
export function createNotifyProcessor(deps: NotifyDeps) {
  return async (job: Job<NotifyJob>): Promise<string> => {
    const { notificationId } = NotifyJobSchema.parse(job.data)
    const n = await findNotification(deps.db, notificationId)
    if (!n) throw new UnrecoverableError(`notification ${notificationId} does not exist`)
    if (n.twilioSid || FINAL_STATUSES.includes(n.status)) return 'already handled'
    if (!n.toPhone || (await isOptedOut(deps.db, n.toPhone))) {
      await markFinal(deps.db, n.id, { status: 'suppressed', message: n.toPhone ? 'recipient opted out' : 'no phone' })
      return 'suppressed'
    }
    const body = smsText(n)
    if (n.status === 'sending') {
      const sid = await findEarlierSend(deps, n, body)
      if (sid) {
        await markAccepted(deps.db, n.id, sid, 'found after an interrupted attempt')
        return 'found earlier send'
      }
    }
    await markSending(deps.db, n.id)
    try {
      const sent = await send(deps, n, body)
      await markAccepted(deps.db, n.id, sent.sid, sent.status)
      deps.log.info({ notificationId: n.id, channel: n.channel, reference: n.reference }, 'notification handed to Twilio')
      return sent.sid
    } catch (err) {
      const e = err as TwilioError
      const error = { code: e.code, message: scrub(e.message ?? String(err)) }
      if (err instanceof UnrecoverableError || isPermanent(e)) {
        await markFinal(deps.db, n.id, { status: 'failed', ...error })
        throw new UnrecoverableError(`Twilio refused: ${e.status ?? ''} ${e.code ?? ''}`.trim())
      }
      // A status means Twilio answered and did not take it; without one the answer was lost
      // and the notification stays 'sending', so the next attempt looks before it sends.
      if (typeof e.status === 'number') await markRetryable(deps.db, n.id, error)
      // Rethrown scrubbed: BullMQ keeps the message with the failed attempt (and bull-board shows it).
      throw Object.assign(new Error(`Twilio: ${e.status ?? ''} ${e.code ?? ''} ${error.message}`.trim()), {
        status: e.status,
        code: e.code,
      })
    }
  }
}

/** The notify worker: at most NOTIFY_RATE_PER_SECOND sends per second across all workers. */
export function startNotifyWorker(deps: NotifyDeps & { connection: ConnectionOptions; prefix: string }): Worker<NotifyJob> {
  const worker = new Worker<NotifyJob>(NOTIFY_QUEUE, createNotifyProcessor(deps), {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: 4,
    limiter: { max: deps.config.NOTIFY_RATE_PER_SECOND, duration: 1000 },
  })
  worker.on('failed', (job, err) => {
    if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return
    const id = NotifyJobSchema.safeParse(job.data).data?.notificationId
    if (id) markFinal(deps.db, id, { status: 'failed', message: scrub(err.message) }).catch(() => {})
    deps.log.warn({ notificationId: id, err }, 'notification failed for good')
  })
  worker.on('error', (err) => deps.log.warn({ err }, 'notify worker error'))
  return worker
}
