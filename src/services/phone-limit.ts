import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import { Errors } from '../errors.js'

/**
 * Counts a requester phone's intake attempts in a fixed one-hour window and refuses past the
 * limit. The key holds a hash, not the number. When Redis is away the limit is skipped: a
 * frightened person's request matters more than a counter.
 */
export async function hitPhoneLimit(redis: Redis, options: { keyPrefix: string; phone: string; perHour: number }): Promise<void> {
  const key = `${options.keyPrefix}limit:phone:${createHash('sha256').update(options.phone).digest('base64url').slice(0, 22)}`
  let count: number
  try {
    const results = await redis.multi().incr(key).expire(key, 3600, 'NX').exec()
    count = Number(results?.[0]?.[1] ?? 0)
  } catch {
    return
  }
  if (count > options.perHour)
    throw new Errors.RATE_LIMITED('Too many requests from this phone number; try again within the hour')
}
