import { pino } from 'pino'
import t from 'tap'
import { runMaintenance } from '../../workers/maintenance.js'
import { build, requestBody, uniquePhone } from '../helper.js'

t.test('closed requests lose their personal data after the retention period, counts stay', async (t) => {
  const { app, config } = await build(t, { RETENTION_DAYS: 30 })
  const deps = { config, db: app.db, log: pino({ level: 'silent' }) }
  const refs: string[] = []
  for (let i = 0; i < 3; i++) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      payload: requestBody({ relative: { address: 'Абая 1', notes: 'x' } }),
    })
    refs.push(res.json().reference)
  }
  const [old, recent, open] = refs
  await app.db.query("UPDATE requests SET status = 'reached_safe', closed_at = now() - interval '31 days' WHERE reference = $1", [
    old,
  ])
  await app.db.query("UPDATE requests SET status = 'reached_safe', closed_at = now() - interval '29 days' WHERE reference = $1", [
    recent,
  ])

  t.same(await runMaintenance(deps), { purged: 1 })
  t.same(await runMaintenance(deps), { purged: 0 }, 'once only')
  const { rows } = await app.db.query(
    `SELECT reference, requester_name, requester_phone, relative_name, relative_phone, relative_address, relative_notes,
            relative_city, relative_name_key, relative_other_names, city_key, status, flag_elderly, purged_at IS NOT NULL AS purged
     FROM requests ORDER BY id`,
  )
  t.match(rows[0], {
    reference: old,
    requester_name: null,
    requester_phone: null,
    relative_name: null,
    relative_phone: null,
    relative_address: null,
    relative_notes: null,
    relative_city: null,
    relative_name_key: null,
    relative_other_names: [],
    city_key: 'almaty',
    status: 'reached_safe',
    flag_elderly: true,
    purged: true,
  })
  t.match(rows[1], { reference: recent, purged: false, relative_address: 'Абая 1' })
  t.match(rows[2], { reference: open, purged: false })
  const notes = await app.db.query(
    'SELECT to_phone FROM notifications n JOIN requests r ON r.id = n.request_id WHERE r.reference = $1',
    [old],
  )
  t.same(notes.rows, [{ to_phone: null }])
  const events = await app.db.query(
    "SELECT e.actor_type FROM request_events e JOIN requests r ON r.id = e.request_id WHERE r.reference = $1 AND e.type = 'purged'",
    [old],
  )
  t.same(events.rows, [{ actor_type: 'system' }])
})

t.test('short-lived rows go; opt-outs stay', async (t) => {
  const { app, config } = await build(t)
  const deps = { config, db: app.db, log: pino({ level: 'silent' }) }
  const phone = uniquePhone()
  await app.db.query(
    "INSERT INTO sms_conversations (phone, language, step, updated_at) VALUES ($1, 'ru', 'name', now() - interval '2 days')",
    [phone],
  )
  await app.db.query("INSERT INTO sms_conversations (phone, language, step) VALUES ($1, 'ru', 'name')", [uniquePhone()])
  await app.db.query(
    "INSERT INTO inbound_messages (message_sid, received_at) VALUES ('SMold', now() - interval '2 days'), ('SMnew', now())",
  )
  await app.db.query("INSERT INTO idempotency_keys (key, fingerprint, created_at) VALUES ('old', 'f', now() - interval '2 days')")
  await app.db.query("INSERT INTO opt_outs (phone, opted_out_at) VALUES ($1, now() - interval '400 days')", [phone])
  await runMaintenance(deps)
  const count = async (sql: string) => (await app.db.query(sql)).rowCount
  t.equal(await count('SELECT 1 FROM sms_conversations'), 1, 'the stale conversation is gone')
  t.equal(await count("SELECT 1 FROM inbound_messages WHERE message_sid = 'SMnew'"), 1)
  t.equal(await count('SELECT 1 FROM inbound_messages'), 1)
  t.equal(await count('SELECT 1 FROM idempotency_keys'), 0)
  t.equal(await count('SELECT 1 FROM opt_outs'), 1, 'STOP is honoured for good')
})
