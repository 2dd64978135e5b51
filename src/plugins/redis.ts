import fp from 'fastify-plugin'
import { Redis } from 'ioredis'
import type { Config } from '../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis
  }
}

/**
 * The API's Redis client (`app.redis`) for rate limits and readiness. It fails fast instead of
 * queueing commands while Redis is away: intake must not wait on Redis, only PostgreSQL.
 */
export default fp<{ config: Config }>(
  async (app, { config }) => {
    const redis = new Redis(config.REDIS_URL, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: 2000,
      lazyConnect: true,
    })
    // Connection errors are expected while Redis restarts; readiness reports them.
    redis.on('error', () => {})
    // Wait for the first connection (bounded by connectTimeout) but start without Redis if need
    // be: intake only needs PostgreSQL, and ioredis keeps reconnecting in the background.
    await redis.connect().catch(() => {})
    app.decorate('redis', redis)
    app.addHook('onClose', async () => {
      redis.disconnect()
    })
  },
  { name: 'redis' },
)
