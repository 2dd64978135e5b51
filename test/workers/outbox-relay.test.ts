import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import type { Config } from '../../src/config.js'
import { closeCheckinsQueues, createCheckinsQueues } from '../../src/queues/checkins.js'
import { bullConnection } from '../../src/queues/connection.js'
import { createNotifyQueue } from '../../src/queues/notify.js'
import { createOutboxRelay } from '../../workers/outbox-relay.js'
import { build, freePort, requestBody, waitFor } from '../helper.js'

const silent = pino({ level: 'silent' })

function startRelay(t: Test, config: Config, db: import('pg').Pool) {
  const producer = { connection: bullConnection(config, 'producer'), prefix: config.BULLMQ_PREFIX }
  const checkins = createCheckinsQueues(producer)
  const notify = createNotifyQueue(producer)
  for (const q of Object.values(checkins)) q.on('error', () => {})
  notify.on('error', () => {})
  const relay = createOutboxRelay({ config, db, checkins, notify, log: silent })
  t.teardown(async () => {
    await relay.stop()
    await closeCheckinsQueues(checkins)
    await notify.close()
  })
  return { relay, checkins, notify }
}

t.test('the relay queues each committed request once, by priority', async (t) => {
  const { app, config } = await build(t)
  const plain = (
    await app.inject({ method: 'POST', url: '/api/v1/requests', payload: requestBody({ flags: { elderly: false } }) })
  ).json()
  const medical = (
    await app.inject({ method: 'POST', url: '/api/v1/requests', payload: requestBody({ flags: { medical: true } }) })
  ).json()
  const started = startRelay(t, config, app.db)
  const { relay, checkins } = started
  await relay.start()

  await waitFor('both jobs', async () => (await checkins.kk.getJobCounts('prioritized')).prioritized === 2)
  const jobs = await checkins.kk.getJobs(['prioritized'])
  const byRef = await app.db.query('SELECT id::text, reference, status, priority FROM requests ORDER BY id')
  t.same(
    jobs.map((j) => [j.id, j.data.requestId, j.opts.priority]).sort(),
    byRef.rows.map((r) => [`request-${r.id}`, r.id, r.priority]).sort(),
  )
  t.same(
    byRef.rows.map((r) => r.reference),
    [plain.reference, medical.reference],
  )
  t.same(
    byRef.rows.map((r) => r.status),
    ['queued', 'queued'],
  )
  t.ok(byRef.rows[1].priority < byRef.rows[0].priority, 'medical goes first')
  await waitFor('outbox drained', async () => (await app.db.query('SELECT 1 FROM outbox WHERE sent_at IS NULL')).rowCount === 0)

  // A relay that died after adding the jobs but before committing sends the same rows again.
  const { notify } = started
  t.equal(await notify.count(), 2, 'and one "received" notification job each')
  await app.db.query('UPDATE outbox SET sent_at = NULL')
  t.equal(await relay.runOnce(), 4)
  t.equal((await checkins.kk.getJobCounts('prioritized')).prioritized, 2, 'still one job per request')
  t.equal(await notify.count(), 2, 'and one notification job each')
  const events = await app.db.query("SELECT count(*)::int AS n FROM request_events WHERE type = 'queued'")
  t.equal(events.rows[0].n, 2, 'and one queued event per request')
})

t.test('each request goes to the queue of its language; a raised priority follows it', async (t) => {
  const { app, config } = await build(t)
  const { relay, checkins } = startRelay(t, config, app.db)
  for (const language of ['kk', 'ru', 'ru', 'en']) {
    await app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      payload: requestBody({ requester: { language }, flags: { elderly: false } }),
    })
  }
  await relay.runOnce()
  t.same([await checkins.kk.count(), await checkins.ru.count(), await checkins.en.count()], [1, 2, 1])

  // A sibling adds "medical" about the same relative: the waiting job moves up.
  const body = requestBody({ requester: { language: 'en' }, flags: { elderly: false } })
  const first = await app.inject({ method: 'POST', url: '/api/v1/requests', payload: body })
  await relay.runOnce()
  const sibling = await app.inject({
    method: 'POST',
    url: '/api/v1/requests',
    payload: requestBody({
      requester: { language: 'ru' },
      relative: { phone: body.relative.phone },
      flags: { elderly: false, medical: true },
    }),
  })
  t.equal(sibling.json().reference, first.json().reference)
  t.equal(sibling.json().linked, true)
  await relay.runOnce()
  const { rows } = await app.db.query('SELECT id::text, priority FROM requests WHERE reference = $1', [first.json().reference])
  const job = await checkins.en.getJob(`request-${rows[0].id}`)
  t.equal(rows[0].priority, 2)
  t.equal(job?.priority, 2, 'the queued job has the new priority')
})

t.test('two relays share the outbox without double work', async (t) => {
  const { app, config } = await build(t)
  const a = startRelay(t, config, app.db)
  const b = startRelay(t, config, app.db)
  await Promise.all(
    Array.from({ length: 40 }, () => app.inject({ method: 'POST', url: '/api/v1/requests', payload: requestBody() })),
  )
  const [sentA, sentB] = await Promise.all([a.relay.runOnce(), b.relay.runOnce()])
  const rest = await a.relay.runOnce()
  t.equal(sentA + sentB + rest, 80, 'a checkin and a notification row per request')
  t.equal(await a.checkins.kk.count(), 40)
  t.equal(await a.notify.count(), 40)
})

function startRedis(port: number): ChildProcess {
  const dir = mkdtempSync(join(tmpdir(), 'bailanys-redis-'))
  return spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  )
}

t.test('a request is accepted while Redis is down and queued once it returns', async (t) => {
  const port = await freePort()
  let redis = startRedis(port)
  t.teardown(() => {
    redis.kill('SIGKILL')
  })
  const { app, config } = await build(t, { REDIS_URL: `redis://127.0.0.1:${port}` })
  const { relay, checkins } = startRelay(t, config, app.db)
  await relay.start()

  redis.kill('SIGKILL')
  await new Promise((r) => redis.once('exit', r))
  const res = await app.inject({ method: 'POST', url: '/api/v1/requests', payload: requestBody() })
  t.equal(res.statusCode, 201, 'accepted: the request is in PostgreSQL')
  const { reference } = res.json()
  await new Promise((r) => setTimeout(r, 1000))
  const waiting = await app.db.query(
    'SELECT r.status, o.sent_at, o.attempts FROM requests r JOIN outbox o ON o.request_id = r.id WHERE reference = $1',
    [reference],
  )
  t.match(waiting.rows[0], { status: 'received', sent_at: null }, 'waits in the outbox while Redis is away')
  t.equal((await app.inject('/readyz')).statusCode, 503, 'not ready without Redis')

  redis = startRedis(port)
  await waitFor('queued after Redis returned', async () => {
    const { rows } = await app.db.query('SELECT status FROM requests WHERE reference = $1', [reference])
    return rows[0].status === 'queued'
  })
  t.equal(await checkins.kk.count(), 1, 'queued exactly once')
  const job = await checkins.kk.getJob(
    `request-${(await app.db.query('SELECT id FROM requests WHERE reference = $1', [reference])).rows[0].id}`,
  )
  t.ok(job, 'under its request id')
})
