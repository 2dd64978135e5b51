import pg from 'pg'
import t from 'tap'
import { createPool } from '../../src/db/pool.js'
import { testConfig, waitFor } from '../helper.js'

t.test('a connection cut while checked out (PostgreSQL restarting) does not crash the process', async (t) => {
  const config = await testConfig(t)
  const db = createPool(config)
  t.teardown(() => db.end())
  const client = await db.connect()
  t.ok(client.listenerCount('error') > 0, 'a checked-out client has an error listener (else the error is uncaught)')
  const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number
  const admin = new pg.Client({ connectionString: config.DATABASE_URL })
  await admin.connect()
  t.teardown(() => admin.end())
  const cut = new Promise((resolve) => client.once('error', resolve))
  await admin.query('SELECT pg_terminate_backend($1)', [pid])
  await cut
  await t.rejects(client.query('SELECT 1'), 'the cut client fails its next query')
  client.release(true)
  t.same((await waitFor('the pool answering again', () => db.query('SELECT 1 AS one'))).rows, [{ one: 1 }])
})
