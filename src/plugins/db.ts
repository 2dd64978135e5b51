import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { assertMigrated } from '../db/migrations.js'
import { createPool, type Db } from '../db/pool.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Db
  }
}

/** The PostgreSQL pool as `app.db`; refuses to start on a database that is behind. */
export default fp<{ config: Config }>(
  async (app, { config }) => {
    const db = createPool(config)
    app.decorate('db', db)
    app.addHook('onClose', () => db.end())
    await assertMigrated(db)
  },
  { name: 'db' },
)
