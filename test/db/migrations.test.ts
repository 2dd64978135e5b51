import { readdir } from 'node:fs/promises'
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { migrate, pendingMigrations } from '../../src/db/migrations.js'
import { createPool } from '../../src/db/pool.js'
import { MIGRATIONS_DIR } from '../../src/paths.js'
import { dropSchema, TEST_SERVICES, uniqueName } from '../helper.js'

t.test('migrate is idempotent and the pending list follows it', async (t) => {
  const config = { ...loadConfig(TEST_SERVICES), DATABASE_SCHEMA: uniqueName(t) }
  t.teardown(() => dropSchema(config.DATABASE_URL, config.DATABASE_SCHEMA))
  const db = createPool(config)
  t.teardown(() => db.end())

  const all = (await readdir(MIGRATIONS_DIR))
    .filter((f) => f.endsWith('.sql'))
    .map((f) => f.slice(0, -4))
    .sort()
  t.ok(all.length >= 3)
  t.same(await pendingMigrations(db), all, 'a fresh schema is behind')
  t.same(await migrate(config), all)
  t.same(await pendingMigrations(db), [])
  t.same(await migrate(config), [], 'a second run does nothing')
  t.same(await Promise.all([migrate(config), migrate(config)]), [[], []], 'concurrent runs wait for each other')

  const tables = await db.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [
    config.DATABASE_SCHEMA,
  ])
  t.same(
    tables.rows.map((r) => r.table_name),
    [
      'accounts',
      'attempts',
      'audit_events',
      'idempotency_keys',
      'inbound_messages',
      'leases',
      'notifications',
      'opt_outs',
      'outbox',
      'partner_deliveries',
      'partner_keys',
      'partners',
      'pgmigrations',
      'reconciler_totals',
      'referral_events',
      'referral_notes',
      'referrals',
      'request_count_deltas',
      'request_counts',
      'request_events',
      'request_requesters',
      'requests',
      'sessions',
      'sms_conversations',
      'sms_senders',
      'voice_calls',
      'voice_recordings',
    ],
  )
})

t.test('request events are append-only', async (t) => {
  const config = { ...loadConfig(TEST_SERVICES), DATABASE_SCHEMA: uniqueName(t) }
  t.teardown(() => dropSchema(config.DATABASE_URL, config.DATABASE_SCHEMA))
  await migrate(config)
  const db = createPool(config)
  t.teardown(() => db.end())
  const { rows } = await db.query(
    `INSERT INTO requests (reference, requester_language, notify_via, city_key, priority)
     VALUES ('AAAA2222', 'ru', 'sms', 'almaty', 10) RETURNING id`,
  )
  await db.query(`INSERT INTO request_events (request_id, type, actor_type) VALUES ($1, 'received', 'requester')`, [rows[0].id])
  await t.rejects(db.query('UPDATE request_events SET type = $1', ['x']), /append-only/)
  await t.rejects(db.query('DELETE FROM request_events'), /append-only/)
})
