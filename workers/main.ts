import closeWithGrace from 'close-with-grace'
import { pino } from 'pino'
import { ConfigError, loadConfig } from '../src/config.js'
import { assertMigrated } from '../src/db/migrations.js'
import { createPool } from '../src/db/pool.js'
import { loggerOptions } from '../src/logger.js'
import { createCheckinsQueue } from '../src/queues/checkins.js'
import { bullConnection } from '../src/queues/connection.js'
import { createOutboxRelay } from './outbox-relay.js'

/** The worker process: the outbox relay (and, as they come, the queue processors). */
async function main() {
  const config = loadConfig()
  const log = pino(loggerOptions(config.LOG_LEVEL)).child({ process: 'worker' })
  const db = createPool(config)
  await assertMigrated(db)
  // The relay produces with a fail-fast connection: while Redis is away its rows wait in PostgreSQL.
  const checkins = createCheckinsQueue({ connection: bullConnection(config, 'producer'), prefix: config.BULLMQ_PREFIX })
  checkins.on('error', (err) => log.warn({ err }, 'checkins queue connection error'))
  const relay = createOutboxRelay({ config, db, checkins, log })
  await relay.start()
  log.info('workers started')

  closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'closing after an error')
    else log.info({ signal }, 'closing')
    await relay.stop()
    await checkins.close()
    await db.end()
  })
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `cannot start workers: ${err instanceof Error ? err.message : err}`)
  process.exit(1)
})
