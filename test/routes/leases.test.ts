import t from 'tap'
import type { Db } from '../../src/db/pool.js'
import { volunteer } from '../accounts-helper.js'
import { deleteKeys } from '../helper.js'
import { claim, setup } from '../tasks-helper.js'

/** The lease ran out in PostgreSQL while its BullMQ lock still holds: the worker (and its sweeper) is down. */
const expire = (db: Db, reference: string) =>
  db.query(
    `UPDATE leases SET expires_at = now() - interval '15 seconds'
     WHERE request_id = (SELECT id FROM requests WHERE reference = $1)`,
    [reference],
  )

const events = async (db: Db, reference: string) =>
  (
    await db.query(
      `SELECT e.type FROM request_events e JOIN requests r ON r.id = e.request_id WHERE r.reference = $1 ORDER BY e.id`,
      [reference],
    )
  ).rows.map((r) => r.type as string)

t.test('an expired lease shows nothing, even before the sweeper has run', async (t) => {
  const { app, boss, submit } = await setup(t)
  const reference = await submit()
  const vera = await volunteer(app, boss)
  const first = await claim(app, vera.headers)
  t.equal(first.statusCode, 200)
  const phone = first.json().task.relative.phone as string
  const live = await app.inject({ url: `/api/v1/tasks/${reference}`, headers: vera.headers })
  t.equal(live.statusCode, 200)
  t.equal(live.headers['cache-control'], 'no-store', 'the details are never cached')
  await expire(app.db, reference)

  const read = await app.inject({ url: `/api/v1/tasks/${reference}`, headers: vera.headers })
  t.equal(read.statusCode, 404)
  t.equal(read.json().code, 'APP_ERR_TASK_NOT_FOUND')
  t.notMatch(read.body, phone, 'no phone in the refusal')

  const again = await claim(app, vera.headers)
  t.equal(again.statusCode, 204, 'a claim does not hand the expired task back (its job is still locked)')
  t.notMatch(again.body, phone)

  for (const [name, payload] of [
    ['heartbeat', undefined],
    ['outcome', { outcome: 'reached_safe' }],
    ['call', undefined],
    ['release', undefined],
  ] as const) {
    const res = await app.inject({ method: 'POST', url: `/api/v1/tasks/${reference}/${name}`, headers: vera.headers, payload })
    t.equal(res.statusCode, 409, name)
    t.equal(res.json().code, 'APP_ERR_NO_LEASE', name)
  }
  const page = await app.inject({
    url: '/volunteer',
    headers: { cookie: `bailanys_session=${vera.headers.authorization.slice(7)}` },
  })
  t.notMatch(page.body, phone.slice(-7), 'the console page does not show the family either')
  const { rows } = await app.db.query('SELECT status FROM requests WHERE reference = $1', [reference])
  t.equal(rows[0].status, 'claimed', 'nothing was recorded against the expired lease')
})

t.test('the sweeper ends only an expired lease, and only the one it saw', async (t) => {
  const { app, boss, submit, sweep } = await setup(t, { LEASE_SECONDS: 2 })
  const reference = await submit()
  const vera = await volunteer(app, boss)
  t.equal((await claim(app, vera.headers)).statusCode, 200)
  t.equal(await sweep(), 0, 'a live lease stays')
  await expire(app.db, reference)
  // The BullMQ lock (2 s) must be gone too before the sweeper ends the lease.
  await new Promise((resolve) => setTimeout(resolve, 2100))
  t.equal(await sweep(), 1)
  const { rows } = await app.db.query(
    `SELECT r.status, (SELECT count(*)::int FROM leases) AS leases,
       (SELECT count(*)::int FROM attempts a WHERE a.request_id = r.id AND a.finished_at IS NULL) AS open_attempts
     FROM requests r WHERE r.reference = $1`,
    [reference],
  )
  t.same(rows[0], { status: 'queued', leases: 0, open_attempts: 0 }, 'queued, lease gone, attempt closed: together')
  t.same((await events(app.db, reference)).slice(-2), ['claimed', 'lease_expired'])
})

t.test("a coordinator's cancel that is refused changes nothing (no lease ended first)", async (t) => {
  const { app, boss, submit } = await setup(t)
  const reference = await submit()
  const vera = await volunteer(app, boss)
  t.equal((await claim(app, vera.headers)).statusCode, 200)
  const done = await app.inject({
    method: 'POST',
    url: `/api/v1/tasks/${reference}/outcome`,
    headers: vera.headers,
    payload: { outcome: 'reached_safe' },
  })
  t.equal(done.statusCode, 200)
  const before = await events(app.db, reference)
  const cancel = await app.inject({
    method: 'POST',
    url: `/api/v1/requests/${reference}/cancel`,
    headers: boss.headers,
    payload: { reason: 'duplicate call' },
  })
  t.equal(cancel.statusCode, 409)
  t.equal(cancel.json().code, 'APP_ERR_NOT_OPEN')
  t.same(await events(app.db, reference), before, 'no event written by the refused cancel')
})

t.test("a coordinator's cancel of a held request ends the lease and cancels in one go", async (t) => {
  const { app, boss, submit } = await setup(t)
  const reference = await submit()
  const vera = await volunteer(app, boss)
  t.equal((await claim(app, vera.headers)).statusCode, 200)
  const cancel = await app.inject({
    method: 'POST',
    url: `/api/v1/requests/${reference}/cancel`,
    headers: boss.headers,
    payload: { reason: 'family called back' },
  })
  t.equal(cancel.statusCode, 200)
  t.same((await events(app.db, reference)).slice(-3), ['claimed', 'lease_ended', 'cancelled'])
  const read = await app.inject({ url: `/api/v1/tasks/${reference}`, headers: vera.headers })
  t.equal(read.json().code, 'APP_ERR_TASK_NOT_FOUND', 'the volunteer sees the family no more')
})

t.test('outcome and cancel racing: exactly one wins, the history stays whole', async (t) => {
  const { app, boss, submit } = await setup(t)
  const rounds = 8
  const vols = await Promise.all(Array.from({ length: rounds }, () => volunteer(app, boss)))
  for (let i = 0; i < rounds; i++) {
    const reference = await submit()
    const vol = vols[i] as (typeof vols)[number]
    t.equal((await claim(app, vol.headers)).statusCode, 200)
    const [outcome, cancel] = await Promise.all([
      app.inject({
        method: 'POST',
        url: `/api/v1/tasks/${reference}/outcome`,
        headers: vol.headers,
        payload: { outcome: 'reached_safe' },
      }),
      app.inject({
        method: 'POST',
        url: `/api/v1/requests/${reference}/cancel`,
        headers: boss.headers,
        payload: { reason: 'race' },
      }),
    ])
    const won = [outcome.statusCode, cancel.statusCode].filter((s) => s === 200).length
    t.equal(won, 1, `round ${i}: one of outcome (${outcome.statusCode}) and cancel (${cancel.statusCode}) wins`)
    if (outcome.statusCode !== 200) t.equal(outcome.json().code, 'APP_ERR_NO_LEASE')
    if (cancel.statusCode !== 200) t.equal(cancel.json().code, 'APP_ERR_NOT_OPEN')
    const history = await events(app.db, reference)
    const expected = cancel.statusCode === 200 ? ['lease_ended', 'cancelled'] : ['outcome']
    t.same(history.slice(3), expected, `round ${i}: ${history.join(' → ')}`)
    const { rows } = await app.db.query('SELECT count(*)::int AS n FROM leases')
    t.equal(rows[0].n, 0, 'no lease left behind')
  }
})

t.test('a live lease whose job Redis forgot (emptied, failed over) still stands: PostgreSQL is the truth', async (t) => {
  const { app, config, boss, submit } = await setup(t)
  const reference = await submit()
  const vera = await volunteer(app, boss)
  t.equal((await claim(app, vera.headers)).statusCode, 200)
  await deleteKeys(config.REDIS_URL, config.BULLMQ_PREFIX)
  const beat = await app.inject({ method: 'POST', url: `/api/v1/tasks/${reference}/heartbeat`, headers: vera.headers })
  t.equal(beat.statusCode, 200, 'the heartbeat renews the lease in PostgreSQL')
  const done = await app.inject({
    method: 'POST',
    url: `/api/v1/tasks/${reference}/outcome`,
    headers: vera.headers,
    payload: { outcome: 'no_answer' },
  })
  t.equal(done.statusCode, 200, 'the outcome is recorded, not refused')
  t.equal(done.json().status, 'queued', 'back in the queue (its job is the reconciler’s to re-create)')
})
