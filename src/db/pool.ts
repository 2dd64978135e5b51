import pg from 'pg'
import type { Config } from '../config.js'

export type Db = pg.Pool

/** The PostgreSQL pool of a process, with its search_path set to the configured schema. */
export function createPool(config: Pick<Config, 'DATABASE_URL' | 'DATABASE_SCHEMA' | 'DATABASE_POOL_SIZE'>): Db {
  const pool = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: config.DATABASE_POOL_SIZE,
    options: `-c search_path=${config.DATABASE_SCHEMA}`,
    connectionTimeoutMillis: 5000,
  })
  // A client losing its server (a PostgreSQL restart or failover) must not crash the process: an
  // idle one is reported on the pool, one checked out (between two queries of a transaction, or
  // holding the reconciler's lock) on itself. Its next query fails and the pool replaces it.
  pool.on('error', () => {})
  pool.on('connect', (client) => {
    client.on('error', () => {})
  })
  return pool
}

/** Runs `fn` inside a transaction on one client, committing or rolling back. */
export async function withTransaction<T>(db: Db, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect()
  try {
    await client.query('BEGIN')
    const result = await fn(client)
    await client.query('COMMIT')
    return result
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {})
    throw err
  } finally {
    client.release()
  }
}
