import { type ConnectionOptions, Queue } from 'bullmq'
import { z } from 'zod'

/** The volunteer work queue: one job per open request, claimed by hand through the API. */
export const CHECKINS_QUEUE = 'checkins'

/** A checkins job carries the request id only; the rest is read from PostgreSQL. */
export const CheckinJobSchema = z.object({ requestId: z.coerce.string().regex(/^\d+$/) })
export type CheckinJob = z.infer<typeof CheckinJobSchema>

/** The job id that makes a request's job unique in the queue. */
export function checkinJobId(requestId: string): string {
  return `request-${requestId}`
}

export function createCheckinsQueue(options: { connection: ConnectionOptions; prefix: string }): Queue<CheckinJob> {
  return new Queue<CheckinJob>(CHECKINS_QUEUE, {
    connection: options.connection,
    prefix: options.prefix,
    defaultJobOptions: { removeOnComplete: { count: 10_000 }, removeOnFail: { count: 10_000 } },
  })
}

/** Puts a request's job in the queue; adding it twice is a no-op (the job id is the key). */
export async function enqueueCheckin(queue: Queue<CheckinJob>, job: { requestId: string; priority: number }) {
  const data = CheckinJobSchema.parse({ requestId: job.requestId })
  await queue.add('checkin', data, { jobId: checkinJobId(job.requestId), priority: job.priority })
}
