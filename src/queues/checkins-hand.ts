import { type ConnectionOptions, type Job, Worker } from 'bullmq'
import { LANGUAGES, type Language } from '../domain/request-states.js'
import { type CheckinJob, type CheckinsQueues, checkinsQueueName } from './checkins.js'

/**
 * Workers with no processor: the checkins queues are worked by hand, a job taken per claim. The
 * job lock is the volunteer's lease. An abandoned claim must return to waiting however often it
 * happens: BullMQ 6 would otherwise mark the job for failure past `maxStalledCount`.
 */
export type HandWorkers = Record<Language, Worker<CheckinJob>>
const NEVER_FAIL_STALLED = 1_000_000_000

export function createHandWorkers(options: {
  connection: ConnectionOptions
  prefix: string
  leaseMs: number
  stalledCheckMs?: number
}): HandWorkers {
  const make = (language: Language) =>
    new Worker<CheckinJob>(checkinsQueueName(language), null, {
      connection: options.connection,
      prefix: options.prefix,
      lockDuration: options.leaseMs,
      stalledInterval: options.stalledCheckMs ?? Math.min(30_000, Math.max(1000, Math.floor(options.leaseMs / 3))),
      maxStalledCount: NEVER_FAIL_STALLED,
    })
  return Object.fromEntries(LANGUAGES.map((language) => [language, make(language)])) as HandWorkers
}

export async function closeHandWorkers(workers: HandWorkers): Promise<void> {
  await Promise.all(Object.values(workers).map((w) => w.close()))
}

/**
 * The languages whose queue has work, best first: by the job each would hand out next. BullMQ
 * serves a queue's plain `wait` list (where a job returns after its lock expired) before its
 * prioritized set, so such a job counts as most urgent; then priority, then age.
 */
export async function bestQueue(queues: CheckinsQueues, languages: Language[]): Promise<Language[]> {
  const heads = await Promise.all(
    languages.map(async (language) => {
      const [waiting] = (await queues[language].getWaiting(0, 0)) as (Job<CheckinJob> | undefined)[]
      if (waiting) return { language, rank: 0, timestamp: waiting.timestamp }
      const [next] = (await queues[language].getPrioritized(0, 0)) as (Job<CheckinJob> | undefined)[]
      return next ? { language, rank: next.priority, timestamp: next.timestamp } : null
    }),
  )
  return heads
    .filter((h) => h !== null)
    .sort((a, b) => a.rank - b.rank || a.timestamp - b.timestamp)
    .map((h) => h.language)
}
