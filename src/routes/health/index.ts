import type { FastifyPluginAsync } from 'fastify'
import { Errors } from '../../errors.js'

/** `/healthz`: the process answers. `/readyz`: PostgreSQL and Redis answer too. */
const health: FastifyPluginAsync = async (app) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }))

  app.get('/readyz', { schema: { hide: true } }, async () => {
    const [pg, redis] = await Promise.allSettled([app.db.query('SELECT 1'), app.redis.ping()])
    const down = [pg.status === 'rejected' && 'postgresql', redis.status === 'rejected' && 'redis'].filter(Boolean)
    if (down.length > 0) throw new Errors.NOT_READY(down.join(', '))
    return { status: 'ready', postgresql: 'up', redis: 'up' }
  })
}
export default health
