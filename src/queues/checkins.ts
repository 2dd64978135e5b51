import { type ConnectionOptions, Queue } from 'bullmq'
import { z } from 'zod'
import { LANGUAGES, type Language } from '../domain/request-states.js'

/**
 * The volunteer work queues, one per language (the requester's, which the family speaks): a
 * volunteer claims from the queues of the languages they speak. Jobs are claimed by hand through
 * the API; the job lock is the lease.
 */
export const CHECKINS_QUEUE = 'checkins'
export const checkinsQueueName = (language: Language) => `${CHECKINS_QUEUE}-${language}`

/** A checkins job carries the request id only; the rest is read from PostgreSQL. */
export const CheckinJobSchema = z.object({ requestId: z.coerce.string().regex(/^\d+$/) })
export type CheckinJob = z.infer<typeof CheckinJobSchema>
export type CheckinsQueues = Record<Language, Queue<CheckinJob>>

/** The job id that makes a request's job unique in its queue. */
export function checkinJobId(requestId: string): string {
  return `request-${requestId}`
}

export function createCheckinsQueues(options: { connection: ConnectionOptions; prefix: string }): CheckinsQueues {
  const make = (language: Language) =>
    new Queue<CheckinJob>(checkinsQueueName(language), {
      connection: options.connection,
      prefix: options.prefix,
      defaultJobOptions: { removeOnComplete: { count: 10_000 }, removeOnFail: { count: 10_000 } },
    })
  return Object.fromEntries(LANGUAGES.map((language) => [language, make(language)])) as CheckinsQueues
}

export async function closeCheckinsQueues(queues: CheckinsQueues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()))
}
