import { Errors } from '../errors.js'

/** What every Redis call on a request path gets: an answer within `timeoutMs`, or this error. */
export const RedisUnavailable = Errors.REDIS_UNAVAILABLE

/** True for the error `withRedis` throws (a class check: never the wording of ioredis' messages). */
export function isRedisUnavailable(err: unknown): boolean {
  return err instanceof RedisUnavailable
}

/**
 * Runs a Redis operation with a deadline. Redis is a helper: when it hangs (a frozen server keeps
 * its TCP connection open and answers nothing), refuses (no connection, fail-fast client) or
 * errs, the caller gets `RedisUnavailable` (503 `APP_ERR_NOT_READY`) within `timeoutMs` and
 * decides its fallback. Wrap only the Redis part of the work: any failure inside counts as Redis
 * being unavailable. A command given up on may still run later on the server; callers keep
 * that safe (a job taken too late stalls back to waiting when its lock runs out).
 */
export async function withRedis<T>(timeoutMs: number, operation: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisUnavailable()), timeoutMs)
  })
  try {
    return await Promise.race([operation(), deadline])
  } catch (err) {
    if (isRedisUnavailable(err)) throw err
    throw Object.assign(new RedisUnavailable(), { cause: err })
  } finally {
    clearTimeout(timer)
  }
}

/** `withRedis`, but a failure gives `fallback` instead of an error (rate limits, counters). */
export async function withRedisOr<T, F>(timeoutMs: number, operation: () => Promise<T>, fallback: F): Promise<T | F> {
  try {
    return await withRedis(timeoutMs, operation)
  } catch {
    return fallback
  }
}
