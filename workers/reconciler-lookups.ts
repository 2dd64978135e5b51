import type { JobType, Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { withRedis } from '../src/services/redis-guard.js'

/** The reconciler's look-ups in Redis: what a queue holds, read in bulk, never job by job. */

/** Job ids read per page from a queue's lists. */
const PAGE = 1000
/** Longest wait for one pipeline of look-ups: a frozen Redis fails the run instead of hanging it. */
const REDIS_STEP_MS = 5000

export type Presence = 'missing' | 'finished' | 'live'
/** A queue's job ids as read at the start of a run: waiting (wait, prioritized, delayed) and active. */
export type Snapshot = { waiting: Set<string>; active: Set<string> }

/** A queue's job ids in the given states, page by page (each page one script call). */
async function jobIdsIn<T>(queue: Queue<T>, types: JobType[]): Promise<Set<string>> {
  const ids = new Set<string>()
  for (let start = 0; ; start += PAGE) {
    const page = await queue.getRanges(types, start, start + PAGE - 1)
    if (page.length === 0) return ids
    for (const id of page) ids.add(id)
  }
}

// Waiting first, active second: a job taken in between is seen as active, not missed.
export async function snapshot<T>(queue: Queue<T>): Promise<Snapshot> {
  const waiting = await jobIdsIn(queue, ['wait', 'prioritized', 'delayed'])
  return { waiting, active: await jobIdsIn(queue, ['active']) }
}

export const seen = (s: Snapshot, jobId: string) => s.waiting.has(jobId) || s.active.has(jobId)

/**
 * Where each job not seen in the snapshot stands now, in one round trip: no job at all, finished
 * (completed or failed), or live after all (it moved while the snapshot was read).
 */
export async function presence<T>(redis: Redis, queue: Queue<T>, jobIds: string[]): Promise<Presence[]> {
  const pipeline = redis.pipeline()
  for (const id of jobIds) {
    pipeline.exists(queue.toKey(id))
    pipeline.zscore(queue.toKey('completed'), id)
    pipeline.zscore(queue.toKey('failed'), id)
  }
  const results = (await withRedis(REDIS_STEP_MS, () => pipeline.exec())) ?? []
  // A pipeline reports errors per command: an error must not read as "no job".
  const failed = results.find(([err]) => err)
  if (failed) throw failed[0]
  return jobIds.map((_, i) => {
    if (results[3 * i]?.[1] === 0) return 'missing'
    return results[3 * i + 1]?.[1] != null || results[3 * i + 2]?.[1] != null ? 'finished' : 'live'
  })
}
