import { readdir } from 'node:fs/promises'
import { runner } from 'node-pg-migrate'
import type { Config } from '../config.js'
import { MIGRATIONS_DIR } from '../paths.js'
import type { Db } from './pool.js'

const MIGRATIONS_TABLE = 'pgmigrations'

/**
 * Applies every migration not yet run, in one transaction. Idempotent; concurrent callers wait
 * for each other on node-pg-migrate's advisory lock.
 */
export async function migrate(config: Pick<Config, 'DATABASE_URL' | 'DATABASE_SCHEMA'>, log = (_: string) => {}) {
  const applied = await runner({
    databaseUrl: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    createSchema: true,
    dir: MIGRATIONS_DIR,
    migrationsTable: MIGRATIONS_TABLE,
    direction: 'up',
    advisoryLockMode: 'wait',
    log,
  })
  return applied.map((m) => m.name)
}

/** Names of the migration files that the database has not run yet. */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).map((f) => f.slice(0, -4))
  let done = new Set<string>()
  try {
    const { rows } = await db.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE}`)
    done = new Set(rows.map((r) => r.name))
  } catch (err) {
    // 42P01: no migrations table yet, so nothing has run.
    if ((err as { code?: string }).code !== '42P01') throw err
  }
  return files.filter((f) => !done.has(f)).sort()
}

/** Throws unless the database has run every migration this code ships with. */
export async function assertMigrated(db: Db): Promise<void> {
  const pending = await pendingMigrations(db)
  if (pending.length > 0) {
    throw new Error(`database is behind (pending migrations: ${pending.join(', ')}): run npm run migrate`)
  }
}
