import { Redis } from 'ioredis'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import type { Config } from '../../src/config.js'
import { releaseReconcileLock, tryReconcileLock } from '../../src/db/reconcile-repository.js'
import { checkinJobId } from '../../src/queues/checkins.js'
import { notifyJobId } from '../../src/queues/notify.js'
import { createReconciler } from '../../workers/reconciler.js'
import { coordinator, volunteer } from '../accounts-helper.js'
import { build, deleteKeys, requestBody, waitFor } from '../helper.js'
import { relayFor } from '../relay-helper.js'

const silent = pino({ level: 'silent' })

async function setup(t: Test, overrides: Partial<Config> = {}) {
  const { app, config } = await build(t, { LEASE_SECONDS: 600, ...overrides })
  const { checkins, notify, relay } = relayFor(t, app, config)
  const redis = new Redis(config.REDIS_URL)
  t.teardown(() => redis.disconnect())
  const reconciler = () => createReconciler({ config, db: app.db, checkins, notify, redis, log: silent })
  const boss = await coordinator(app)
  const submit = async (overrides: Parameters<typeof requestBody>[0] = {}) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/requests', payload: requestBody(overrides) })
    await relay.runOnce()
    const { rows } = await app.db.query('SELECT id::text, priority FROM requests WHERE reference = $1', [res.json().reference])
    return { reference: res.json().reference as string, id: rows[0].id as string, priority: rows[0].priority as number }
  }
  const claim = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/api/v1/tasks/claim', headers })
  /** Every job id in a queue, whatever its state. */
  const jobIds = async (queue: keyof typeof checkins | 'notify') =>
    (await (queue === 'notify' ? notify : checkins[queue]).getJobs()).map((j) => j.id).sort()
  return { app, config, boss, checkins, notify, relay, submit, claim, jobIds, reconciler }
}

t.test('Redis back empty: waiting requests and notifications get their jobs back, once', async (t) => {
  const { app, config, boss, checkins, relay, submit, claim, jobIds, reconciler } = await setup(t)
  // D waits out a retry after an unanswered call; F is held under a live lease.
  const d = await submit({ requester: { language: 'kk' } })
  const caller = await volunteer(app, boss, { languages: ['kk'] })
  t.equal((await claim(caller.headers)).json().task.reference, d.reference)
  const noAnswer = await app.inject({
    method: 'POST',
    url: `/api/v1/tasks/${d.reference}/outcome`,
    headers: caller.headers,
    payload: { outcome: 'no_answer' },
  })
  const retryAt = Date.parse(noAnswer.json().nextAttemptAt)
  const f = await submit({ requester: { language: 'en' } })
  const holder = await volunteer(app, boss, { languages: ['en'] })
  t.equal((await claim(holder.headers)).json().task.reference, f.reference)
  const waiting = [
    await submit({ requester: { language: 'kk' }, flags: { elderly: true } }),
    await submit({ requester: { language: 'ru' }, flags: { elderly: false } }),
    await submit({ requester: { language: 'en' }, flags: { elderly: false, medical: true } }),
  ]
  const e = await submit({ requester: { language: 'ru' } })
  const { rows: pending } = await app.db.query(`SELECT id::text FROM notifications WHERE status = 'pending' ORDER BY id`)
  t.equal(pending.length, 6, "each request's 'received' notification waits for the notify worker")

  await deleteKeys(config.REDIS_URL, config.BULLMQ_PREFIX)
  const stranded = await volunteer(app, boss, { languages: ['kk', 'ru', 'en'] })
  t.equal((await claim(stranded.headers)).statusCode, 204, 'before: the backlog waits, the queues are empty')

  const first = await reconciler().runOnce()
  t.same(first, { requeued: 5, delayed: 1, removed: 0, notifications: 6, schedules: 0 })
  for (const r of [...waiting, e]) {
    const language = r === waiting[0] ? 'kk' : r === waiting[2] ? 'en' : 'ru'
    const job = await checkins[language].getJob(checkinJobId(r.id))
    t.equal(job?.priority, r.priority, `${r.reference} is back with its priority`)
    t.equal(await job?.getState(), 'prioritized')
  }
  const retry = await checkins.kk.getJob(checkinJobId(d.id))
  t.equal(await retry?.getState(), 'delayed', 'the retry is delayed again')
  const dueAt = (retry?.timestamp ?? 0) + (retry?.delay ?? 0)
  t.ok(Math.abs(dueAt - retryAt) < 5000, `due at ${new Date(dueAt).toISOString()}, as the outcome said`)
  t.equal(retry?.priority, d.priority)
  t.equal(await checkins.en.getJob(checkinJobId(f.id)), undefined, 'a held request is the lease sweeper’s')
  t.same(await jobIds('notify'), pending.map((n) => notifyJobId(n.id)).sort(), 'every pending notification has its job')

  const before = { kk: await jobIds('kk'), ru: await jobIds('ru'), en: await jobIds('en'), notify: await jobIds('notify') }
  t.same(await reconciler().runOnce(), { requeued: 0, delayed: 0, removed: 0, notifications: 0, schedules: 0 })
  t.same(
    { kk: await jobIds('kk'), ru: await jobIds('ru'), en: await jobIds('en'), notify: await jobIds('notify') },
    before,
    'a second run adds nothing',
  )

  // A cancelled request's job is removed; its 'cancelled' notification is still the relay's.
  const cancel = await app.inject({
    method: 'POST',
    url: `/api/v1/requests/${e.reference}/cancel`,
    headers: boss.headers,
    payload: { reason: 'found' },
  })
  t.equal(cancel.statusCode, 200)
  t.same(await reconciler().runOnce(), { requeued: 0, delayed: 0, removed: 1, notifications: 0, schedules: 0 })
  t.equal(await checkins.ru.getJob(checkinJobId(e.id)), undefined)
  await relay.runOnce()

  const claimed = []
  for (const who of [stranded, await volunteer(app, boss, { languages: ['kk', 'ru', 'en'] })]) {
    const res = await claim(who.headers)
    t.equal(res.statusCode, 200)
    claimed.push(res.json().task.reference)
  }
  const last = await claim((await volunteer(app, boss, { languages: ['kk', 'ru', 'en'] })).headers)
  t.equal(last.statusCode, 200)
  claimed.push(last.json().task.reference)
  t.same(claimed, [waiting[2]?.reference, waiting[0]?.reference, waiting[1]?.reference], 'claimable again, by priority')
  t.equal((await claim((await volunteer(app, boss)).headers)).statusCode, 204, 'the retry is not due yet')
})

t.test('a finished job of a waiting request makes way for a fresh one', async (t) => {
  const { app, submit, reconciler, checkins } = await setup(t)
  const r = await submit({ requester: { language: 'ru' } })
  const token = 'test-token'
  const job = await app.checkins.workers.ru.getNextJob(token, { block: false })
  t.equal(job?.id, checkinJobId(r.id))
  await job?.moveToCompleted('discarded', token, false)
  t.same(await reconciler().runOnce(), { requeued: 1, delayed: 0, removed: 0, notifications: 0, schedules: 0 })
  t.equal(await (await checkins.ru.getJob(checkinJobId(r.id)))?.getState(), 'prioritized')
})

t.test('one reconciler at a time: a run skips while another holds the lock, concurrent runs add once', async (t) => {
  const { app, config, submit, reconciler, jobIds } = await setup(t)
  const requests = await Promise.all(Array.from({ length: 30 }, () => submit({ requester: { language: 'kk' } })))
  await deleteKeys(config.REDIS_URL, config.BULLMQ_PREFIX)

  const other = await app.db.connect()
  t.ok(await tryReconcileLock(other))
  t.equal(await reconciler().runOnce(), null, 'another process is reconciling')
  await releaseReconcileLock(other)
  other.release()

  const runs = await Promise.all([reconciler().runOnce(), reconciler().runOnce(), reconciler().runOnce()])
  t.equal(
    runs.reduce((n, run) => n + (run?.requeued ?? 0), 0),
    30,
    'each request re-enqueued by one run',
  )
  t.same(await jobIds('kk'), requests.map((r) => checkinJobId(r.id)).sort())
  const { rows } = await app.db.query(`SELECT name, n::int FROM reconciler_totals WHERE name IN ('requeued', 'runs')`)
  t.same(Object.fromEntries(rows.map((r) => [r.name, r.n])), { requeued: 30, runs: runs.filter(Boolean).length })
})

t.test('started, it reconciles at once and then every RECONCILE_EVERY_MS; stop waits for the run', async (t) => {
  const { config, submit, reconciler, jobIds } = await setup(t, { RECONCILE_EVERY_MS: 200 })
  const r = await submit({ requester: { language: 'en' } })
  await deleteKeys(config.REDIS_URL, config.BULLMQ_PREFIX)
  const running = reconciler()
  running.start()
  t.teardown(() => running.stop())
  const back = async () => (await jobIds('en')).includes(checkinJobId(r.id))
  t.ok(await waitFor('the job is back', back))
  await deleteKeys(config.REDIS_URL, config.BULLMQ_PREFIX)
  t.ok(await waitFor('back again after a second loss', back))
  await running.stop()
})
