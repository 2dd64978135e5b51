import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Queue, Worker } from 'bullmq'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import t from 'tap'
import { bullConnection } from '../../src/queues/connection.js'
import { MAINTENANCE_QUEUE } from '../../src/queues/maintenance.js'
import { createReconciler } from '../../workers/reconciler.js'
import { build, deleteKeys, freePort, requestBody, waitFor } from '../helper.js'
import { relayFor } from '../relay-helper.js'

const METRICS_TOKEN = 'metrics-token-for-the-tests-0123'
const scrapeHeaders = { authorization: `Bearer ${METRICS_TOKEN}` }
const QUEUES = ['checkins-kk', 'checkins-ru', 'checkins-en', 'notify', 'maintenance', 'partner-webhooks']

type Sample = { name: string; labels: Record<string, string>; value: number }

/** The samples of a Prometheus text exposition. */
function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [, name = '', labels = '', value = ''] = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line) ?? []
      return {
        name,
        labels: Object.fromEntries([...labels.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]])),
        value: Number(value),
      }
    })
}

/** The samples named `name` whose labels include `labels`. */
function find(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
}

t.test('a scrape shows HTTP, queue and database series, and no personal data', async (t) => {
  const { app, config } = await build(t, { METRICS_TOKEN })
  const body = requestBody()
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/requests', payload: body })).statusCode, 201)
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/requests', payload: {} })).statusCode, 400)
  t.equal((await app.inject('/healthz')).statusCode, 200)
  const status = await app.inject(`/api/v1/requests/AAAA-0000?phone=${encodeURIComponent(body.requester.phone)}`)
  t.equal(status.statusCode, 404)
  t.equal((await app.inject(`/no/such/page/${body.relative.phone}`)).statusCode, 404)
  await app.db.query(
    `INSERT INTO request_events (request_id, type, actor_type)
     SELECT id, type, 'system' FROM requests, unnest(ARRAY['claimed', 'claimed', 'lease_expired']) AS type`,
  )

  // One maintenance job worked to completion, for the duration series.
  const options = { connection: bullConnection(config, 'worker'), prefix: config.BULLMQ_PREFIX }
  const queue = new Queue(MAINTENANCE_QUEUE, options)
  const worker = new Worker(MAINTENANCE_QUEUE, async () => new Promise((resolve) => setTimeout(resolve, 20)), options)
  t.teardown(async () => {
    await worker.close()
    await queue.close()
  })
  const done = new Promise((resolve) => worker.once('completed', resolve))
  await queue.add('purge', {})
  await done

  const res = await app.inject({ url: '/metrics', headers: scrapeHeaders })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  const samples = parse(res.body)

  const count = 'http_request_duration_seconds_count'
  const intake = { route: '/api/v1/requests', method: 'POST' }
  t.equal(find(samples, count, { ...intake, status_code: '201' })[0]?.value, 1, 'the 201')
  t.equal(find(samples, count, { ...intake, status_code: '400' })[0]?.value, 1, 'the 400')
  t.ok(
    find(samples, 'http_request_duration_seconds_bucket', { route: '/api/v1/requests', status_code: '201', le: '+Inf' }).length,
  )
  t.equal(find(samples, count, { route: '/healthz', status_code: '200' })[0]?.value, 1)
  t.equal(find(samples, count, { route: '/api/v1/requests/:reference', status_code: '404' })[0]?.value, 1)
  t.equal(find(samples, count, { route: 'unmatched', status_code: '404' })[0]?.value, 1, 'an unknown URL is not a label')

  for (const name of QUEUES) {
    for (const state of ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed']) {
      t.equal(find(samples, 'bailanys_queue_jobs', { queue: name, state }).length, 1, `${name} ${state}`)
    }
  }
  t.equal(find(samples, 'bailanys_queue_jobs', { queue: 'maintenance', state: 'completed' })[0]?.value, 1)
  const median = find(samples, 'bailanys_job_duration_seconds', { queue: 'maintenance', quantile: '0.5' })[0]?.value
  t.ok(median !== undefined && median >= 0.015 && median < 5, `maintenance job took ${median} s`)
  t.same(find(samples, 'bailanys_job_duration_seconds', { queue: 'notify' }), [], 'no completed job, no quantiles')

  const pending = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications WHERE status = 'pending'`)
  t.equal(pending.rows[0]?.n, 1)
  t.equal(find(samples, 'bailanys_notifications', { status: 'pending' })[0]?.value, 1)
  t.equal(find(samples, 'bailanys_notifications', { status: 'delivered' })[0]?.value, 0, 'known statuses start at 0')
  t.equal(find(samples, 'bailanys_requests', { status: 'received' })[0]?.value, 1)
  t.equal(find(samples, 'bailanys_requests', { status: 'queued' })[0]?.value, 0)
  t.equal(find(samples, 'bailanys_claims_total')[0]?.value, 2)
  t.equal(find(samples, 'bailanys_lease_expiries_total')[0]?.value, 1)
  t.equal(find(samples, 'bailanys_outbox_pending')[0]?.value, 2, 'the checkins and notify rows')
  const lag = find(samples, 'bailanys_outbox_lag_seconds')[0]?.value
  t.ok(lag !== undefined && lag >= 0 && lag < 60, `outbox lag ${lag}`)
  t.ok(find(samples, 'process_cpu_user_seconds_total').length, 'default process metrics')

  for (const secret of [body.requester.phone, body.relative.phone, body.requester.phone.slice(1), 'Айгуль', 'Сауле']) {
    t.notOk(res.body.includes(secret), `no ${secret} in the metrics`)
  }
  t.notOk(res.body.includes('/no/such/page'), 'no raw URL')

  const again = parse((await app.inject({ url: '/metrics', headers: scrapeHeaders })).body)
  t.equal(find(again, count, { route: '/metrics', status_code: '200' })[0]?.value, 1, 'the scrape itself is counted')
  t.equal(find(again, 'bailanys_claims_total')[0]?.value, 2, 'a counter read back, not added up')
})

t.test('the token is required and compared exactly', async (t) => {
  const { app } = await build(t, { METRICS_TOKEN })
  for (const authorization of [
    undefined,
    'Bearer wrong-token',
    `Bearer ${METRICS_TOKEN}x`,
    `Basic ${METRICS_TOKEN}`,
    'Bearer ',
  ]) {
    const res = await app.inject({ url: '/metrics', headers: authorization ? { authorization } : {} })
    t.equal(res.statusCode, 401, String(authorization))
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.equal(res.json().code, 'APP_ERR_UNAUTHENTICATED')
    t.equal(res.headers['www-authenticate'], 'Bearer')
  }
  t.equal((await app.inject({ url: '/metrics', headers: { authorization: `bearer ${METRICS_TOKEN}` } })).statusCode, 200)
  const docs = (await app.inject('/docs/json')).json()
  t.notOk(docs.paths['/metrics'], 'hidden from the API description')
})

t.test('without METRICS_TOKEN /metrics does not exist', async (t) => {
  const { app } = await build(t, { METRICS_TOKEN: undefined })
  const res = await app.inject({ url: '/metrics', headers: scrapeHeaders })
  t.equal(res.statusCode, 404)
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(res.json().code, 'APP_ERR_ROUTE_NOT_FOUND')
})

t.test('a scrape works while Redis is down, without the queue series', async (t) => {
  const { app } = await build(t, { METRICS_TOKEN, REDIS_URL: 'redis://127.0.0.1:1' })
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/requests', payload: requestBody() })).statusCode, 201)
  const res = await app.inject({ url: '/metrics', headers: scrapeHeaders })
  t.equal(res.statusCode, 200)
  const samples = parse(res.body)
  t.same(find(samples, 'bailanys_queue_jobs'), [])
  t.equal(find(samples, 'bailanys_requests', { status: 'received' })[0]?.value, 1)
  t.equal(find(samples, 'bailanys_outbox_pending')[0]?.value, 2)
})

t.test('the reconciler’s totals, written by the worker, are scraped from the API', async (t) => {
  const { app, config } = await build(t, { METRICS_TOKEN })
  const scrape = async () => parse((await app.inject({ url: '/metrics', headers: scrapeHeaders })).body)
  const before = await scrape()
  t.equal(find(before, 'bailanys_reconciler_requeued_total', { queue: 'checkins' })[0]?.value, 0, 'zero before any run')
  t.equal(find(before, 'bailanys_reconciler_last_run_timestamp_seconds')[0]?.value, 0, 'no run yet')

  const { checkins, notify, relay } = relayFor(t, app, config)
  for (let i = 0; i < 2; i++) await app.inject({ method: 'POST', url: '/api/v1/requests', payload: requestBody() })
  await relay.runOnce()
  await deleteKeys(config.REDIS_URL, config.BULLMQ_PREFIX)
  const redis = new Redis(config.REDIS_URL)
  t.teardown(() => redis.disconnect())
  const reconciler = createReconciler({ config, db: app.db, checkins, notify, redis, log: pino({ level: 'silent' }) })
  await reconciler.runOnce()
  await reconciler.runOnce()

  const after = await scrape()
  t.equal(find(after, 'bailanys_reconciler_requeued_total', { queue: 'checkins' })[0]?.value, 2)
  t.equal(find(after, 'bailanys_reconciler_requeued_total', { queue: 'notify' })[0]?.value, 2)
  t.equal(find(after, 'bailanys_reconciler_removed_total', { queue: 'checkins' })[0]?.value, 0)
  t.equal(find(after, 'bailanys_reconciler_runs_total')[0]?.value, 2)
  const lastRun = find(after, 'bailanys_reconciler_last_run_timestamp_seconds')[0]?.value ?? 0
  t.ok(Math.abs(lastRun - Date.now() / 1000) < 60, 'stamped with the last run')
})

t.test('a scrape answers while Redis is frozen, without the queue series', async (t) => {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'bailanys-redis-'))
  const server = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--dir', dir], {
    stdio: 'ignore',
  })
  t.teardown(() => {
    server.kill('SIGCONT')
    server.kill('SIGKILL')
  })
  const url = `redis://127.0.0.1:${port}`
  const ping = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 })
  ping.on('error', () => {})
  await waitFor('redis-server up', () => ping.ping().catch(() => undefined))
  ping.disconnect()
  const { app } = await build(t, { METRICS_TOKEN, REDIS_URL: url, REDIS_TIMEOUT_MS: 300 })
  const scrape = async () => {
    const res = await app.inject({ url: '/metrics', headers: scrapeHeaders })
    t.equal(res.statusCode, 200)
    return parse(res.body)
  }
  t.ok(find(await scrape(), 'bailanys_queue_jobs').length > 0, 'queue series while Redis answers')

  server.kill('SIGSTOP')
  const frozen = await scrape()
  t.same(find(frozen, 'bailanys_queue_jobs'), [], 'left out, not waited for')
  t.same(find(frozen, 'bailanys_job_duration_seconds'), [])
  t.ok(find(frozen, 'bailanys_requests', { status: 'received' }).length, 'the PostgreSQL series are there')
  server.kill('SIGCONT')
})
