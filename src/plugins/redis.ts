import fp from 'fastify-plugin'
import { Redis } from 'ioredis'
import type { Config } from '../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis
  }
}

/**
 * The API's Redis client (`app.redis`) for rate limits, counters and readiness. It never waits on
 * Redis: no offline queue (a command while disconnected fails at once) and a deadline of
 * `REDIS_TIMEOUT_MS` on every command (a frozen server keeps the socket open and answers nothing).
 * Each caller has its fallback; intake needs only PostgreSQL.
 */
export default fp<{ config: Config }>(
  async (app, { config }) => {
    const redis = new Redis(config.REDIS_URL, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: 2000,
      commandTimeout: config.REDIS_TIMEOUT_MS,
      lazyConnect: true,
    })
    // Connection errors are expected while Redis restarts; readiness reports them.
    redis.on('error', () => {})
    // Wait a little for the first connection, but start without Redis if need be (a frozen server
    // accepts the socket and never says it is ready): ioredis keeps reconnecting in the background.
    const connected = redis.connect().catch(() => {})
    await Promise.race([connected, new Promise((resolve) => setTimeout(resolve, 2000).unref())])
    app.decorate('redis', redis)
    app.addHook('onClose', async () => {
      redis.disconnect()
    })
  },
  { name: 'redis' },
)
