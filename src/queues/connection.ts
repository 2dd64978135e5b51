import type { ConnectionOptions } from 'bullmq'
import type { Config } from '../config.js'

/**
 * Connection options for BullMQ. Workers wait for Redis forever (`maxRetriesPerRequest: null`,
 * as BullMQ requires); producers in the API fail fast so a request never hangs on Redis.
 */
export function bullConnection(config: Pick<Config, 'REDIS_URL'>, role: 'worker' | 'producer'): ConnectionOptions {
  return role === 'worker'
    ? { url: config.REDIS_URL, maxRetriesPerRequest: null }
    : { url: config.REDIS_URL, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 }
}
