import { type ConnectionOptions, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
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
 * The languages whose queue has work, best first, from one Redis round trip: the head of each
 * queue's plain `wait` list (BullMQ takes from its right end, and serves it before the
 * prioritized set: a job back from an expired lock lands there, so it counts as most urgent),
 * else the lowest score of its prioritized set (priority × 2³² + a counter). Ties between
 * languages go to the older request (the lower id in `request-<id>`).
 */
export async function bestQueue(redis: Redis, queues: CheckinsQueues, languages: Language[]): Promise<Language[]> {
  const pipeline = redis.pipeline()
  for (const language of languages) {
    pipeline.lindex(queues[language].toKey('wait'), -1)
    pipeline.zrange(queues[language].toKey('prioritized'), '0', '0', 'WITHSCORES')
  }
  const results = (await pipeline.exec()) ?? []
  // A pipeline reports errors per command: Redis away must not read as "nothing is waiting".
  const failed = results.find(([err]) => err)
  if (failed) throw failed[0]
  const heads = languages.map((language, i) => {
    const waiting = results[2 * i]?.[1] as string | null
    const [jobId, score] = (results[2 * i + 1]?.[1] as string[] | undefined) ?? []
    const id = (job: string) => Number(job.replace(/^request-/, '')) || 0
    if (waiting) return { language, rank: 0, age: id(waiting) }
    if (jobId && score) return { language, rank: Math.floor(Number(score) / 2 ** 32), age: id(jobId) }
    return null
  })
  return heads
    .filter((h) => h !== null)
    .sort((a, b) => a.rank - b.rank || a.age - b.age)
    .map((h) => h.language)
}
