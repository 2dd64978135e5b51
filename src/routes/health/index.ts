import type { FastifyPluginAsync } from 'fastify'
import type { Config } from '../../config.js'
import { Errors } from '../../errors.js'
import { withRedis } from '../../services/redis-guard.js'

/** PostgreSQL gets longer than Redis: it is the truth, and a busy pool is not a dead server. */
const POSTGRES_READY_TIMEOUT_MS = 800

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms)
  })
  return Promise.race([work, late]).finally(() => clearTimeout(timer))
}

/**
 * `/healthz`: the process answers. `/readyz`: PostgreSQL and Redis answer too — within a second
 * in all, naming whichever did not, so a load balancer or an operator sees a frozen Redis at once.
 */
const health: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }))

  app.get('/readyz', { schema: { hide: true } }, async () => {
    const [pg, redis] = await Promise.allSettled([
      within(POSTGRES_READY_TIMEOUT_MS, app.db.query('SELECT 1')),
      withRedis(config.REDIS_TIMEOUT_MS, () => app.redis.ping()),
    ])
    const down = [pg.status === 'rejected' && 'postgresql', redis.status === 'rejected' && 'redis'].filter(Boolean)
    if (down.length > 0) throw new Errors.NOT_READY(down.join(', '))
    return { status: 'ready', postgresql: 'up', redis: 'up' }
  })
}
export default health
