import type { ConnectionOptions } from 'bullmq'
import type { Config } from '../config.js'

/** The slowest a producer's command may be (a relay batch of adds) before it counts as failed. */
const PRODUCER_TIMEOUT_MS = 5000

/**
 * Connection options for BullMQ, by who uses them:
 * - `worker`: worker processes wait for Redis forever (`maxRetriesPerRequest: null`, as BullMQ
 *   requires for blocking workers); their jobs simply pause while Redis is away.
 * - `producer`: the outbox relay and the read-only views fail fast, so a row waits in PostgreSQL
 *   instead of a process hanging on Redis.
 * - `api`: the request paths (claims, heartbeats, releases): no offline queue and a deadline of
 *   `REDIS_TIMEOUT_MS` on every command, so a frozen Redis turns into a quick 503, never a hang.
 *   `maxRetriesPerRequest` stays null only because BullMQ insists on it for a Worker's blocking
 *   connection, which the API's hand workers never use (they never block).
 */
export function bullConnection(
  config: Pick<Config, 'REDIS_URL'> & Partial<Pick<Config, 'REDIS_TIMEOUT_MS'>>,
  role: 'worker' | 'producer' | 'api',
): ConnectionOptions {
  const failFast = { url: config.REDIS_URL, enableOfflineQueue: false, connectTimeout: 2000 }
  switch (role) {
    case 'worker':
      return { url: config.REDIS_URL, maxRetriesPerRequest: null }
    case 'producer':
      return { ...failFast, maxRetriesPerRequest: 1, commandTimeout: PRODUCER_TIMEOUT_MS }
    case 'api':
      return { ...failFast, maxRetriesPerRequest: null, commandTimeout: config.REDIS_TIMEOUT_MS ?? 300 }
  }
}
