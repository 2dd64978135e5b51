import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import { bullConnection } from '../../src/queues/connection.js'
import { createPartnerWebhooksQueue, partnerWebhookJobId } from '../../src/queues/partner-webhooks.js'
import { createDeliveryRelay, enqueueDeliveries, restoreDeliveries } from '../../workers/partner-deliveries.js'
import { startPartnerWebhookWorker } from '../../workers/partner-webhooks.js'
import { volunteer } from '../accounts-helper.js'
import { waitFor } from '../helper.js'
import { partner } from '../routes/partners-helper.js'
import { claim, setup } from '../tasks-helper.js'

const SECRET = 'a-webhook-secret-of-32-characters'
type Received = { path: string; headers: IncomingHttpHeaders; body: string; verified: boolean; fresh: boolean }

/**
 * A partner's receiver on a free port: checks each push as a partner would (README), records it,
 * and answers the statuses scripted for its path in turn (then 200).
 */
async function receiver(t: Test) {
  const received: Received[] = []
  const script = new Map<string, number[]>()
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      const timestamp = String(req.headers['x-bailanys-timestamp'])
      const expected = `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex')}`
      const given = String(req.headers['x-bailanys-signature'])
      const verified = given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected))
      const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) < 300
      const path = req.url ?? ''
      received.push({ path, headers: req.headers, body, verified, fresh })
      res.statusCode = script.get(path)?.shift() ?? 200
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const { port } = server.address() as { port: number }
  return { received, script, url: (path: string) => `http://127.0.0.1:${port}${path}` }
}

/** The app, a receiver, the partner-webhooks queue, its worker (running) and relay (run by hand). */
async function rig(t: Test) {
  const env = await setup(t, { PARTNER_WEBHOOK_ATTEMPTS: 3, PARTNER_WEBHOOK_BACKOFF_MS: 10, PARTNER_WEBHOOK_TIMEOUT_MS: 2000 })
  const { app, config } = env
  const log = pino({ level: 'silent' })
  const queue = createPartnerWebhooksQueue({ connection: bullConnection(config, 'producer'), prefix: config.BULLMQ_PREFIX })
  const worker = startPartnerWebhookWorker({
    config,
    db: app.db,
    log,
    connection: bullConnection(config, 'worker'),
    prefix: config.BULLMQ_PREFIX,
  })
  const redis = new Redis(config.REDIS_URL)
  t.teardown(async () => {
    await worker.close()
    await queue.close()
    redis.disconnect()
  })
  const deliveries = createDeliveryRelay({ config, db: app.db, queue, log })
  const hook = await receiver(t)
  const vera = await volunteer(app, env.boss, { languages: ['ru'] })
  /** A needs case of `category` recorded by a volunteer: offered to the partner of that category. */
  const needs = async (category: string, consent = false) => {
    const reference = await env.submit({ requester: { language: 'ru' }, relative: { city: 'Алматы' } })
    await claim(app, vera.headers)
    await app.inject({
      method: 'POST',
      url: `/api/v1/tasks/${reference}/outcome`,
      headers: vera.headers,
      payload: { outcome: 'reached_needs_help', referral: { categories: [category], note: 'Insulin', consent } },
    })
    const { rows } = await app.db.query(
      `SELECT d.id::text, d.state, d.attempts, d.referral_id::text AS referral FROM partner_deliveries d
       JOIN referrals f ON f.id = d.referral_id JOIN requests r ON r.id = f.request_id WHERE r.reference = $1`,
      [reference],
    )
    return rows[0] as { id: string; referral: string }
  }
  const webhookPartner = (category: string, path: string) =>
    partner(app, env.boss, {
      name: `Hook ${category}`,
      categories: [category],
      intake: 'both',
      webhookUrl: hook.url(path),
      webhookSecret: SECRET,
    })
  const delivery = async (id: string) =>
    (await app.db.query('SELECT state, attempts, last_status, delivered_at FROM partner_deliveries WHERE id = $1', [id])).rows[0]
  return { ...env, queue, deliveries, hook, needs, webhookPartner, delivery, redis }
}

t.test('a push is signed and timed, carries the case as the partner API shows it, and is audited', async (t) => {
  const { app, hook, needs, webhookPartner, deliveries, delivery } = await rig(t)
  const aid = await webhookPartner('medical', '/aid')
  const d = await needs('medical', true)
  t.ok(d, 'a delivery was written with the referral')
  t.equal(await deliveries.runOnce(), 1, 'the relay moves it into the queue')
  t.equal(await deliveries.runOnce(), 0, 'once')
  await waitFor('delivered', async () => (await delivery(d.id)).state === 'delivered')
  t.equal(hook.received.length, 1)
  const [push] = hook.received
  t.match(push, { path: '/aid', verified: true, fresh: true })
  t.equal(push?.headers['x-bailanys-delivery'], d.id)
  const body = JSON.parse(push?.body ?? '{}')
  const viaApi = (await app.inject({ url: `/api/v1/partner/referrals/${d.referral}`, headers: aid.headers })).json()
  t.same(body.referral, viaApi, 'the same projection as the partner API (family shown: they consented)')
  t.match(body, { id: d.id, event: 'referral.offered' })
  t.match(await delivery(d.id), { attempts: 1, last_status: 200, delivered_at: Date })
  const audits = await app.db.query(`SELECT data FROM audit_events WHERE action = 'partner.case.pushed'`)
  t.match(audits.rows, [{ data: { referral: d.referral, partner: aid.id } }])
})

t.test('500 twice then 200: the same delivery id three times, recorded delivered once', async (t) => {
  const { hook, needs, webhookPartner, deliveries, delivery } = await rig(t)
  await webhookPartner('food', '/flaky')
  hook.script.set('/flaky', [500, 500])
  const d = await needs('food')
  await deliveries.runOnce()
  await waitFor('delivered', async () => (await delivery(d.id)).state === 'delivered')
  t.same(
    hook.received.map((r) => r.headers['x-bailanys-delivery']),
    [d.id, d.id, d.id],
  )
  t.ok(
    hook.received.every((r) => r.verified),
    'every try is signed',
  )
  t.match(await delivery(d.id), { state: 'delivered', attempts: 3, last_status: 200 })
  t.equal(JSON.parse(hook.received[0]?.body ?? '{}').referral.family, null, 'no name or phone without consent')
})

t.test('a 400 is dead at once; replay delivers it; the replayed job id is not sent twice', async (t) => {
  const { app, boss, hook, needs, webhookPartner, deliveries, delivery, queue, config } = await rig(t)
  await webhookPartner('shelter', '/strict')
  hook.script.set('/strict', [400])
  const d = await needs('shelter')
  await deliveries.runOnce()
  await waitFor('dead', async () => (await delivery(d.id)).state === 'dead')
  t.equal(hook.received.length, 1, 'no retry after a 400')
  t.match(await delivery(d.id), { attempts: 1, last_status: 400 })
  const dead = (await app.inject({ url: '/api/v1/partner-deliveries?state=dead', headers: boss.headers })).json()
  t.match(dead.deliveries, [{ id: d.id, state: 'dead', lastStatus: 400 }], "in the coordinators' dead-letter list")

  const replay = await app.inject({ method: 'POST', url: `/api/v1/partner-deliveries/${d.id}/replay`, headers: boss.headers })
  t.equal(replay.statusCode, 202)
  t.equal(await deliveries.runOnce(), 1)
  await waitFor('delivered after the replay', async () => (await delivery(d.id)).state === 'delivered')
  t.same(
    hook.received.map((r) => r.headers['x-bailanys-delivery']),
    [d.id, d.id],
  )

  t.equal(await deliveries.runOnce(), 0, 'the relay does not add it again')
  const again = await app.inject({ method: 'POST', url: `/api/v1/partner-deliveries/${d.id}/replay`, headers: boss.headers })
  t.equal(again.statusCode, 404)
  t.equal(again.json().code, 'APP_ERR_DELIVERY_NOT_FOUND', 'a delivered push is not replayed')
  // Even a job forced in again under the same id (its finished one removed) sends nothing.
  await enqueueDeliveries(queue, config, [{ id: d.id, replayed: true }])
  const job = await queue.getJob(partnerWebhookJobId(d.id))
  await waitFor('the forced job finished', async () => (await job?.getState()) === 'completed')
  t.equal(await (await queue.getJob(partnerWebhookJobId(d.id)))?.returnvalue, 'already delivered')
  t.equal(hook.received.length, 2, 'still two sends')
})

t.test('5xx until the attempts run out: dead; the reconciler gives a forgotten pending push its job back', async (t) => {
  const { app, hook, needs, webhookPartner, deliveries, delivery, queue, config, redis } = await rig(t)
  await webhookPartner('legal_aid', '/down')
  hook.script.set('/down', [503, 503, 503])
  const d = await needs('legal_aid')
  await deliveries.runOnce()
  await waitFor('dead', async () => (await delivery(d.id)).state === 'dead')
  t.match(await delivery(d.id), { attempts: 3, last_status: 503 })
  t.equal(hook.received.length, 3)

  // An emptied Redis: the row says enqueued, the job is gone.
  await app.db.query(`UPDATE partner_deliveries SET state = 'pending', attempts = 0 WHERE id = $1`, [d.id])
  await queue.remove(partnerWebhookJobId(d.id))
  t.equal(await restoreDeliveries({ config, db: app.db, queue, redis }), 1)
  await waitFor('delivered', async () => (await delivery(d.id)).state === 'delivered')
  t.equal(await restoreDeliveries({ config, db: app.db, queue, redis }), 0, 'nothing left to restore')
})
