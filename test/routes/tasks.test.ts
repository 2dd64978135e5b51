import t from 'tap'
import { closeHandWorkers, createHandWorkers } from '../../src/queues/checkins-hand.js'
import { bullConnection } from '../../src/queues/connection.js'
import { volunteer } from '../accounts-helper.js'
import { requestBody, waitFor } from '../helper.js'
import { claim, setup } from '../tasks-helper.js'

t.test('claim: priority, then age, in the volunteer’s languages; 204 when nothing fits', async (t) => {
  const { app, boss, submit } = await setup(t)
  const plainRu = await submit({ requester: { language: 'ru' }, flags: { elderly: false } })
  const elderlyKk = await submit({ requester: { language: 'kk' }, flags: { elderly: true } })
  const medicalEn = await submit({ requester: { language: 'en' }, flags: { elderly: false, medical: true } })
  const plainRu2 = await submit({ requester: { language: 'ru' }, flags: { elderly: false } })

  const russianOnly = await volunteer(app, boss, { languages: ['ru'] })
  const bilingual = await volunteer(app, boss, { languages: ['ru', 'kk'] })
  const english = await volunteer(app, boss, { languages: ['en'] })

  const first = await claim(app, bilingual.headers)
  t.equal(first.statusCode, 200)
  t.equal(first.json().task.reference, elderlyKk, 'elderly (kk) before plain (ru) for a volunteer with both')
  t.match(first.json().task, {
    relative: { name: 'Сауле Нурланова', phone: /^\+7701/, city: 'Алматы' },
    requester: { firstName: 'Айгуль', language: 'kk' },
  })
  t.equal((await claim(app, russianOnly.headers)).json().task.reference, plainRu, 'the oldest plain one')
  t.equal((await claim(app, english.headers)).json().task.reference, medicalEn)
  const againSame = await claim(app, bilingual.headers)
  t.equal(againSame.json().task.reference, elderlyKk, 'a second claim returns the task already held')
  const other = await volunteer(app, boss, { languages: ['ru'] })
  t.equal((await claim(app, other.headers)).json().task.reference, plainRu2)
  const none = await volunteer(app, boss, { languages: ['ru', 'kk', 'en'] })
  t.equal((await claim(app, none.headers)).statusCode, 204)
})

t.test('reading a task: only the lease holder, and every read is audited', async (t) => {
  const { app, boss, submit } = await setup(t)
  const reference = await submit()
  const holder = await volunteer(app, boss)
  const nosy = await volunteer(app, boss)
  await claim(app, holder.headers)
  const read = await app.inject({ url: `/api/v1/tasks/${reference}`, headers: holder.headers })
  t.equal(read.statusCode, 200)
  t.equal(read.json().reference, reference)
  t.equal(
    (await app.inject({ url: `/api/v1/tasks/${reference}`, headers: nosy.headers })).statusCode,
    404,
    'another volunteer: 404',
  )
  t.equal(
    (await app.inject({ url: `/api/v1/tasks/${reference}`, headers: boss.headers })).statusCode,
    403,
    'tasks are for volunteers',
  )
  t.equal((await app.inject({ url: `/api/v1/tasks/${reference}` })).statusCode, 401, 'no token')
  t.equal((await app.inject({ url: '/api/v1/tasks/not-a-ref', headers: holder.headers })).statusCode, 404)
  const audit = await app.db.query(
    'SELECT a.action FROM audit_events a JOIN requests r ON r.id = a.request_id WHERE r.reference = $1 ORDER BY a.id',
    [reference],
  )
  t.same(
    audit.rows.map((r) => r.action),
    ['task.claimed', 'task.read'],
    'the claim and the read; not the refused read',
  )
})

t.test('heartbeat keeps the lease, release returns the request, a stale outcome gets 409', async (t) => {
  const { app, boss, submit } = await setup(t)
  const reference = await submit()
  const vera = await volunteer(app, boss)
  const claimed = await claim(app, vera.headers)
  const beat = await app.inject({ method: 'POST', url: `/api/v1/tasks/${reference}/heartbeat`, headers: vera.headers })
  t.equal(beat.statusCode, 200)
  t.ok(new Date(beat.json().leaseExpiresAt) >= new Date(claimed.json().leaseExpiresAt), 'extended')
  t.equal(
    (await app.inject({ method: 'POST', url: `/api/v1/tasks/${reference}/release`, headers: vera.headers })).statusCode,
    204,
  )
  const status = await app.db.query('SELECT status FROM requests WHERE reference = $1', [reference])
  t.equal(status.rows[0].status, 'queued')
  const late = await app.inject({
    method: 'POST',
    url: `/api/v1/tasks/${reference}/outcome`,
    headers: vera.headers,
    payload: { outcome: 'reached_safe' },
  })
  t.equal(late.statusCode, 409, 'released: an outcome is refused')
  t.equal(late.json().code, 'APP_ERR_NO_LEASE')
  const again = await claim(app, vera.headers)
  t.equal(again.json().task.reference, reference, 'back in the queue')
  const events = await app.db.query(
    'SELECT e.type FROM request_events e JOIN requests r ON r.id = e.request_id WHERE r.reference = $1 ORDER BY e.id',
    [reference],
  )
  t.same(
    events.rows.map((e) => e.type),
    ['received', 'queued', 'claimed', 'released', 'claimed'],
  )
})

t.test('an expired lease returns the request, however often', async (t) => {
  const { app, config, boss, submit, checkins, sweep } = await setup(t, { LEASE_SECONDS: 2 })
  const reference = await submit({ requester: { language: 'ru' } })
  const first = await volunteer(app, boss, { languages: ['ru'] })
  const second = await volunteer(app, boss, { languages: ['ru'] })
  // The worker process's side: BullMQ's stalled check, here every half second.
  const stalledChecker = createHandWorkers({
    connection: bullConnection(config, 'worker'),
    prefix: config.BULLMQ_PREFIX,
    leaseMs: 2000,
    stalledCheckMs: 500,
  })
  t.teardown(() => closeHandWorkers(stalledChecker))
  await stalledChecker.ru.startStalledCheckTimer()
  for (let round = 0; round < 3; round++) {
    const holder = round % 2 === 0 ? first : second
    const res = await claim(app, holder.headers)
    t.equal(res.json().task?.reference, reference, `round ${round + 1}: claimed`)
    // Abandoned: no heartbeat. The lock runs out, the stalled check returns the job.
    await waitFor('the job back in the queue', async () => {
      const counts = await checkins.ru.getJobCounts('prioritized', 'wait')
      return (counts.prioritized ?? 0) + (counts.wait ?? 0) === 1
    })
    await new Promise((r) => setTimeout(r, 100))
    await sweep()
    const late = await app.inject({
      method: 'POST',
      url: `/api/v1/tasks/${reference}/outcome`,
      headers: holder.headers,
      payload: { outcome: 'busy' },
    })
    t.equal(late.statusCode, 409, `round ${round + 1}: the old holder is refused`)
  }
  const [job] = await checkins.ru.getJobs(['wait', 'prioritized'])
  t.match(await job?.getState(), /^(waiting|prioritized)$/, 'still waiting, never failed')
  t.equal(await checkins.ru.getJobCounts('failed').then((c) => c.failed), 0)
  const { rows } = await app.db.query(
    "SELECT count(*)::int AS n FROM request_events e JOIN requests r ON r.id = e.request_id WHERE r.reference = $1 AND e.type = 'lease_expired'",
    [reference],
  )
  t.equal(rows[0].n, 3, 'each expiry is an event')
})

t.test('outcomes: final ones notify every requester once; no answer retries, then unreachable', async (t) => {
  const { app, boss, submit, checkins } = await setup(t, { MAX_CALL_ATTEMPTS: 2, RETRY_DELAYS_MINUTES: [20, 60] })
  const vera = await volunteer(app, boss, { languages: ['ru', 'kk', 'en'] })
  const reference = await submit({ requester: { language: 'ru' } })
  await claim(app, vera.headers)
  const bad = await app.inject({
    method: 'POST',
    url: `/api/v1/tasks/${reference}/outcome`,
    headers: vera.headers,
    payload: { outcome: 'fine', needs: ['gold'], messageToRequester: 'x'.repeat(121) },
  })
  t.equal(bad.statusCode, 400)
  t.same(
    bad
      .json()
      .errors.map((e: { path: string }) => e.path)
      .sort(),
    ['messageToRequester', 'needs.0', 'outcome'],
  )
  const safe = await app.inject({
    method: 'POST',
    url: `/api/v1/tasks/${reference}/outcome`,
    headers: vera.headers,
    payload: { outcome: 'reached_safe', messageToRequester: 'Мама передаёт привет', note: 'spoke 3 minutes' },
  })
  t.equal(safe.statusCode, 200)
  t.match(safe.json(), { status: 'reached_safe', attempts: 1, nextAttemptAt: null })
  const notes = await app.db.query(
    'SELECT kind, message FROM notifications n JOIN requests r ON r.id = n.request_id WHERE r.reference = $1 ORDER BY n.id',
    [reference],
  )
  t.same(
    notes.rows.map((n) => n.kind),
    ['received', 'reached_safe', 'message'],
  )
  const again = await app.inject({
    method: 'POST',
    url: `/api/v1/tasks/${reference}/outcome`,
    headers: vera.headers,
    payload: { outcome: 'reached_safe' },
  })
  t.equal(again.statusCode, 409, 'a second outcome is refused')
  t.equal(await checkins.ru.getJobCounts('completed').then((c) => c.completed), 1)

  const hard = await submit({ requester: { language: 'kk' } })
  await claim(app, vera.headers)
  const first = await app.inject({
    method: 'POST',
    url: `/api/v1/tasks/${hard}/outcome`,
    headers: vera.headers,
    payload: { outcome: 'no_answer' },
  })
  t.match(first.json(), { status: 'queued', attempts: 1, nextAttemptAt: String })
  const delayed = await checkins.kk.getJobs(['delayed'])
  t.equal(delayed.length, 1, 'back in the queue after a delay')
  t.ok((delayed[0]?.delay ?? 0) > 19 * 60_000, 'about 20 minutes')
  t.equal((await claim(app, vera.headers)).statusCode, 204, 'not before the delay')
  await delayed[0]?.promote()
  t.equal((await claim(app, vera.headers)).json().task.attempts.length, 1, 'the task shows the earlier attempt')
  const second = await app.inject({
    method: 'POST',
    url: `/api/v1/tasks/${hard}/outcome`,
    headers: vera.headers,
    payload: { outcome: 'busy' },
  })
  t.match(second.json(), { status: 'unreachable', attempts: 2 })
  const unreachable = await app.db.query(
    "SELECT count(*)::int AS n FROM notifications n JOIN requests r ON r.id = n.request_id WHERE r.reference = $1 AND n.kind = 'unreachable'",
    [hard],
  )
  t.equal(unreachable.rows[0].n, 1)
})

t.test('a cancelled request is never handed out', async (t) => {
  const { app, boss, submit } = await setup(t)
  const body = requestBody({ requester: { language: 'ru' } })
  const reference = await submit(body)
  await app.db.query("UPDATE requests SET status = 'cancelled' WHERE reference = $1", [reference])
  const vera = await volunteer(app, boss, { languages: ['ru'] })
  t.equal((await claim(app, vera.headers)).statusCode, 204)
})

t.test('suspension ends leases at once', async (t) => {
  const { app, boss, submit } = await setup(t)
  const reference = await submit({ requester: { language: 'ru' } })
  const vera = await volunteer(app, boss, { languages: ['ru'] })
  await claim(app, vera.headers)
  await app.inject({ method: 'POST', url: `/api/v1/volunteers/${vera.id}/suspend`, headers: boss.headers })
  const { rows } = await app.db.query('SELECT status FROM requests WHERE reference = $1', [reference])
  t.equal(rows[0].status, 'queued')
  const next = await volunteer(app, boss, { languages: ['ru'] })
  t.equal((await claim(app, next.headers)).json().task.reference, reference, 'someone else can take it now')
})

t.test('unavailable volunteers cannot claim', async (t) => {
  const { app, boss } = await setup(t)
  const vera = await volunteer(app, boss, { available: false })
  const res = await claim(app, vera.headers)
  t.equal(res.statusCode, 409)
  t.equal(res.json().code, 'APP_ERR_NOT_AVAILABLE')
})
