import { createRequire } from 'node:module'
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import type { Redis } from 'ioredis'

type RouteOptions = Parameters<FastifyRateLimitStore['child']>[0]
type Flags = { continueExceeding?: boolean; exponentialBackoff?: boolean }

// The plugin's own stores (CommonJS, typed here by the plugin's store interface).
const require = createRequire(import.meta.url)
const RedisStore: new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  redis: Redis,
  key: string,
) => FastifyRateLimitStore = require('@fastify/rate-limit/store/RedisStore.js')
const LocalStore: new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
) => FastifyRateLimitStore = require('@fastify/rate-limit/store/LocalStore.js')

/**
 * A @fastify/rate-limit store that counts in Redis (shared by every API process) and, when Redis
 * errs or misses its deadline (the client's `commandTimeout`), counts in this process instead:
 * while Redis is away each process limits on its own, so the limits loosen by the number of API
 * processes but never vanish, and a request never waits on Redis longer than that deadline.
 */
export function fallbackStore(redis: Redis, nameSpace: string): FastifyRateLimitStoreCtor {
  class FallbackStore implements FastifyRateLimitStore {
    private readonly shared: FastifyRateLimitStore
    private readonly local: FastifyRateLimitStore

    constructor(params: Flags, stores?: { shared: FastifyRateLimitStore; local: FastifyRateLimitStore }) {
      const { continueExceeding = false, exponentialBackoff = false } = params
      this.shared = stores?.shared ?? new RedisStore(continueExceeding, exponentialBackoff, redis, nameSpace)
      this.local = stores?.local ?? new LocalStore(continueExceeding, exponentialBackoff)
    }

    incr(key: string, done: Parameters<FastifyRateLimitStore['incr']>[1], timeWindow: number, max: number) {
      this.shared.incr(
        key,
        (err, result) => (err ? this.local.incr(key, done, timeWindow, max) : done(null, result)),
        timeWindow,
        max,
      )
    }

    child(routeOptions: RouteOptions): FastifyRateLimitStore {
      return new FallbackStore(routeOptions as Flags, {
        shared: this.shared.child(routeOptions),
        local: this.local.child(routeOptions),
      })
    }
  }
  return FallbackStore
}
