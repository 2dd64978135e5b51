import { createServer } from 'node:net'
import { pino } from 'pino'
import t from 'tap'
import { createFakeTwilio } from '../../dev/fake-twilio/server.js'
import { closeCheckinsQueues, createCheckinsQueues } from '../../src/queues/checkins.js'
import { bullConnection } from '../../src/queues/connection.js'
import { createNotifyQueue } from '../../src/queues/notify.js'
import { createTwilioClient } from '../../src/twilio/client.js'
import { startNotifyWorker } from '../../workers/notify.js'
import { createOutboxRelay } from '../../workers/outbox-relay.js'
import { coordinator, volunteer } from '../accounts-helper.js'
import { build, requestBody, uniquePhone } from '../helper.js'

const silent = pino({ level: 'silent' })

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await fn().catch(() => undefined)
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

t.test('request in → claim → bridged call → outcome → each requester told once', async (t) => {
  const port = await freePort()
  const accountSid = `AC${'2'.repeat(32)}`
  const authToken = 'flow-auth-token-123'
  const fake = await createFakeTwilio({
    accountSid,
    authToken,
    webhookBaseUrl: `http://127.0.0.1:${port}`,
    autoStatusCallbacks: true,
  })
  t.teardown(() => fake.close())
  const { app, config } = await build(t, {
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    TWILIO_ACCOUNT_SID: accountSid,
    TWILIO_AUTH_TOKEN: authToken,
    TWILIO_BASE_URL: fake.url,
    TWILIO_FROM: '+15005550006',
    NOTIFY_RATE_PER_SECOND: 50,
    NOTIFY_BACKOFF_MS: 50,
  })
  await app.listen({ host: '127.0.0.1', port })
  const producer = { connection: bullConnection(config, 'producer'), prefix: config.BULLMQ_PREFIX }
  const checkins = createCheckinsQueues(producer)
  const notify = createNotifyQueue(producer)
  const relay = createOutboxRelay({ config, db: app.db, checkins, notify, log: silent })
  const worker = startNotifyWorker({
    config,
    db: app.db,
    twilio: createTwilioClient(config),
    log: silent,
    connection: bullConnection(config, 'worker'),
    prefix: config.BULLMQ_PREFIX,
  })
  await relay.start()
  t.teardown(async () => {
    await relay.stop()
    await worker.close()
    await closeCheckinsQueues(checkins)
    await notify.close()
  })

  // Two siblings ask about the same mother: one by SMS-notification in Russian, one by a call in English.
  const mother = { name: 'Гульнара', phone: uniquePhone(), city: 'Шымкент' }
  const daughter = requestBody({ requester: { language: 'ru', notifyVia: 'sms' }, relative: mother })
  const son = requestBody({
    requester: { language: 'en', notifyVia: 'voice', name: 'Arman' },
    relative: { ...mother, name: 'Mama' },
  })
  const { reference } = (await app.inject({ method: 'POST', url: '/api/v1/requests', payload: daughter })).json()
  t.match((await app.inject({ method: 'POST', url: '/api/v1/requests', payload: son })).json(), { reference, linked: true })
  await waitFor(
    'queued',
    async () => (await app.db.query('SELECT status FROM requests WHERE reference = $1', [reference])).rows[0].status === 'queued',
  )
  await waitFor('both "received"', async () => fake.messages.length === 1 && fake.calls.length === 1)

  const boss = await coordinator(app)
  const vera = await volunteer(app, boss, { languages: ['ru'] })
  const claimed = await app.inject({ method: 'POST', url: '/api/v1/tasks/claim', headers: vera.headers })
  t.equal(claimed.statusCode, 200)
  t.match(claimed.json().task, { reference, requesters: 2, relative: { name: 'Гульнара', otherNames: ['Mama'] } })

  const call = await app.inject({ method: 'POST', url: `/api/v1/tasks/${reference}/call`, headers: vera.headers })
  t.equal(call.statusCode, 202)
  const bridged = fake.calls.find((c) => c.sid === call.json().callSid)
  t.equal(bridged?.params.To, vera.phone, 'the service calls the volunteer')
  t.equal(bridged?.params.From, '+15005550006', 'from the service number')
  const twiml = String(bridged?.params.Twiml)
  t.match(twiml, new RegExp(`<Dial callerId="\\+15005550006"[^>]*>\\${mother.phone}</Dial>`), 'then dials the relative, masked')
  t.notMatch(twiml, vera.phone, "the volunteer's number is not shown to the family")
  const attempt = await waitFor('call completed on the attempt', async () => {
    const { rows } = await app.db.query('SELECT call_sid, call_status, call_duration FROM attempts WHERE call_sid = $1', [
      call.json().callSid,
    ])
    return rows[0]?.call_status === 'completed' && rows[0]
  })
  t.equal(attempt.call_sid, call.json().callSid)
  const dial = await app.inject({
    method: 'POST',
    url: `/api/v1/tasks/${reference}/call`,
    headers: (await volunteer(app, boss)).headers,
  })
  t.equal(dial.statusCode, 409, 'only the lease holder can call')

  const outcome = await app.inject({
    method: 'POST',
    url: `/api/v1/tasks/${reference}/outcome`,
    headers: vera.headers,
    payload: { outcome: 'reached_needs_help', needs: ['medicine'], messageToRequester: 'Нужны лекарства от давления' },
  })
  t.match(outcome.json(), { status: 'reached_needs_help' })
  await waitFor('outcome SMS, message SMS and the call', async () => fake.messages.length === 3 && fake.calls.length === 3)
  await new Promise((r) => setTimeout(r, 500))
  t.equal(fake.messages.length, 3, 'nothing sent twice')
  const [, outcomeSms, messageSms] = fake.messages.map((m) => String(m.params.Body))
  t.match(outcomeSms, /нужна помощь/)
  t.match(messageSms, /Нужны лекарства от давления/)
  t.equal(fake.messages[1]?.params.To, daughter.requester.phone)
  const sonCall = fake.calls.at(-1)
  t.equal(sonCall?.params.To, son.requester.phone)
  t.match(String(sonCall?.params.Twiml), /need help.*Нужны лекарства/s, 'the son hears the outcome and the message, in English')
  const status = await app.inject({ url: `/api/v1/requests/${reference}?phone=${encodeURIComponent(son.requester.phone)}` })
  t.match(status.json(), { status: 'reached_needs_help', latestOutcome: { outcome: 'reached_needs_help' } })
})
