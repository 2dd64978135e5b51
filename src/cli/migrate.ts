import { ConfigError, loadConfig } from '../config.js'
import { migrate } from '../db/migrations.js'

/** `npm run migrate`: applies pending migrations to DATABASE_URL / DATABASE_SCHEMA. Idempotent. */
try {
  const config = loadConfig()
  const applied = await migrate(config)
  console.log(applied.length > 0 ? `migrated: ${applied.join(', ')}` : 'migrations: up to date')
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `migration failed: ${err instanceof Error ? err.message : err}`)
  process.exit(1)
}
