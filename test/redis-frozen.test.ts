import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import { closeCheckinsQueues, createCheckinsQueues } from '../src/queues/checkins.js'
import { bullConnection } from '../src/queues/connection.js'
import { createNotifyQueue } from '../src/queues/notify.js'
import { createOutboxRelay } from '../workers/outbox-relay.js'
import { coordinator, volunteer } from './accounts-helper.js'
import { build, freePort, requestBody, twilioPost, waitFor } from './helper.js'

/**
 * A Redis of this test's own, which it can freeze (SIGSTOP: the socket stays open and nothing
 * answers, the case that hung intake) and thaw. Never the machine's shared Redis.
 */
async function ownRedis(t: Test): Promise<{ url: string; freeze: () => void; thaw: () => void }> {
  const port = await freePort()
  const dir = await mkdtemp(join(tmpdir(), 'bailanys-redis-'))
  const server: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  )
  t.teardown(async () => {
    server.kill('SIGCONT')
    server.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })
  const url = `redis://127.0.0.1:${port}`
  const { Redis } = await import('ioredis')
  await waitFor('our redis-server', async () => {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 })
    probe.on('error', () => {})
    try {
      await probe.connect()
      return (await probe.ping()) === 'PONG'
    } finally {
      probe.disconnect()
    }
  })
  return { url, freeze: () => server.kill('SIGSTOP'), thaw: () => server.kill('SIGCONT') }
}

t.test('a frozen Redis: intake, status and login answer; Redis-bound routes answer 503 quickly', async (t) => {
  const redis = await ownRedis(t)
  const { app, config } = await build(t, { REDIS_URL: redis.url, REDIS_TIMEOUT_MS: 200, LEASE_SECONDS: 60 })
  const producer = { connection: bullConnection(config, 'producer'), prefix: config.BULLMQ_PREFIX }
  const checkins = createCheckinsQueues(producer)
  const notify = createNotifyQueue(producer)
  const relay = createOutboxRelay({ config, db: app.db, checkins, notify, log: pino({ level: 'silent' }) })
  t.teardown(async () => {
    redis.thaw()
    await closeCheckinsQueues(checkins)
    await notify.close()
  })
  const boss = await coordinator(app)
  const vera = await volunteer(app, boss)
  const held0 = await app.inject({ method: 'POST', url: '/api/v1/tasks/claim', headers: vera.headers })
  t.equal(held0.statusCode, 204, 'nothing to claim yet')
  const before = requestBody()
  const first = await app.inject({ method: 'POST', url: '/api/v1/requests', payload: before })
  t.equal(first.statusCode, 201)
  await relay.runOnce()
  const claimed = await app.inject({ method: 'POST', url: '/api/v1/tasks/claim', headers: vera.headers })
  t.equal(claimed.statusCode, 200, 'a claim before the freeze')
  const held = claimed.json().task.reference as string

  redis.freeze()

  const body = requestBody()
  const accepted = await app.inject({ method: 'POST', url: '/api/v1/requests', payload: body })
  t.equal(accepted.statusCode, 201, 'intake commits through the outbox while Redis is frozen')
  const reference = accepted.json().reference as string
  const { rows } = await app.db.query(
    `SELECT r.status, count(o.*)::int AS queued FROM requests r
       LEFT JOIN outbox o ON o.request_id = r.id AND o.topic = 'checkins.enqueue' AND o.sent_at IS NULL
     WHERE r.reference = $1 GROUP BY r.status`,
    [reference],
  )
  t.same(rows, [{ status: 'received', queued: 1 }], 'in PostgreSQL, with its "enqueue me" row waiting')

  const status = await app.inject({ url: `/api/v1/requests/${reference}?phone=${encodeURIComponent(body.requester.phone)}` })
  t.equal(status.statusCode, 200, 'the status lookup answers')

  const ready = await app.inject('/readyz')
  t.equal(ready.statusCode, 503)
  t.match(ready.json(), { code: 'APP_ERR_NOT_READY', title: /redis/ })

  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: vera.phone, password: 'wrong' } })
  t.equal(login.statusCode, 401, 'a login is checked (its failure counter falls back)')
  t.equal(login.json().code, 'APP_ERR_BAD_CREDENTIALS')

  const sms = await twilioPost(app, config, '/twilio/sms', { From: '+77015550101', Body: 'HELP', MessageSid: 'SMfrozen0001' })
  t.equal(sms.statusCode, 200, 'an inbound SMS is answered')

  const other = await volunteer(app, boss)
  for (const [name, url, who] of [
    ['claim', '/api/v1/tasks/claim', other],
    ['heartbeat', `/api/v1/tasks/${held}/heartbeat`, vera],
    ['release', `/api/v1/tasks/${held}/release`, vera],
  ] as const) {
    const res = await app.inject({ method: 'POST', url, headers: who.headers })
    t.equal(res.statusCode, 503, `${name} answers 503 instead of hanging`)
    t.equal(res.json().code, 'APP_ERR_NOT_READY', name)
  }
  const { rows: lease } = await app.db.query('SELECT count(*)::int AS n FROM leases')
  t.equal(lease[0].n, 1, 'a refused release leaves the lease as it was')

  redis.thaw()
  await waitFor('Redis answering again', async () => (await app.inject('/readyz')).statusCode === 200)
  const heartbeat = await app.inject({ method: 'POST', url: `/api/v1/tasks/${held}/heartbeat`, headers: vera.headers })
  t.equal(heartbeat.statusCode, 200, 'the lease held through the freeze works again')
  await relay.runOnce()
  const released = await app.inject({ method: 'POST', url: `/api/v1/tasks/${held}/release`, headers: vera.headers })
  t.equal(released.statusCode, 204)
})

t.test('rate limits keep counting in the process while Redis is frozen', async (t) => {
  const redis = await ownRedis(t)
  const { app } = await build(t, { REDIS_URL: redis.url, REDIS_TIMEOUT_MS: 200, RATE_LIMIT_PER_IP_PER_MINUTE: 3 })
  t.teardown(() => redis.thaw())
  redis.freeze()
  const codes: number[] = []
  for (let i = 0; i < 4; i++) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/requests', payload: requestBody() })
    codes.push(res.statusCode)
    if (res.statusCode === 429) t.equal(res.json().code, 'APP_ERR_RATE_LIMITED')
  }
  t.same(codes, [201, 201, 201, 429], 'the per-IP limit holds, counted by this process')
})
