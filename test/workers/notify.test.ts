import type { Job } from 'bullmq'
import t from 'tap'
import type { FakeTwilio } from '../../dev/fake-twilio/server.js'
import type { NotifyJob } from '../../src/queues/notify.js'
import { createNotifyProcessor } from '../../workers/notify.js'
import { requestBody, twilioPost, uniquePhone, waitFor } from '../helper.js'
import { stack } from '../twilio-helper.js'

async function notificationOf(app: Awaited<ReturnType<typeof stack>>['app'], reference: string) {
  const { rows } = await app.db.query(
    `SELECT n.* FROM notifications n JOIN requests r ON r.id = n.request_id WHERE r.reference = $1 ORDER BY n.id`,
    [reference],
  )
  return rows[0]
}

async function submit(app: Awaited<ReturnType<typeof stack>>['app'], body = requestBody()) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/requests', payload: body })
  return { reference: res.json().reference as string, body }
}

const settled = (fake: FakeTwilio) => fake.messages.length + fake.calls.length

t.test('a web request: the requester gets one SMS in their language, and its delivery is recorded', async (t) => {
  const { app, fake } = await stack(t)
  const { reference, body } = await submit(app, requestBody({ requester: { language: 'ru' } }))
  const note = await waitFor('delivered', async () => {
    const n = await notificationOf(app, reference)
    return n?.status === 'delivered' && n
  })
  t.equal(fake.messages.length, 1)
  const sent = fake.messages[0]?.params ?? {}
  t.equal(sent.To, body.requester.phone)
  t.equal(sent.From, '+15005550006')
  t.match(sent.Body, new RegExp(`заявка ${reference.slice(0, 4)}-${reference.slice(4)} принята`))
  t.equal(sent.StatusCallback, `${app.listeningOrigin}/twilio/status?notification=${note.id}`)
  t.match(note, {
    kind: 'received',
    channel: 'sms',
    twilio_sid: fake.messages[0]?.sid,
    provider_status: 'delivered',
    attempts: 1,
  })
})

t.test('a requester who asked for a call gets one, read twice, with "press 1"', async (t) => {
  const { app, config, fake } = await stack(t)
  const { reference } = await submit(
    app,
    requestBody({ requester: { language: 'kk', notifyVia: 'voice', phone: '8 727 250 12 34' } }),
  )
  const note = await waitFor('call completed', async () => {
    const n = await notificationOf(app, reference)
    return n?.status === 'delivered' && n
  })
  t.equal(fake.calls.length, 1)
  const twiml = String(fake.calls[0]?.params.Twiml)
  t.equal(
    (twiml.match(/<Say language="ru-RU" voice="Polly.Tatyana">/g) ?? []).length,
    4,
    'no Kazakh voice: Russian, text twice + press 1 + goodbye',
  )
  t.match(twiml, /<Gather[^>]*numDigits="1"/)
  t.match(twiml, `/twilio/voice/gather?notification=${note.id}`)
  t.match(twiml, `${reference.slice(0, 1)} ${reference.slice(1, 2)}`, 'the reference is spelled out')
  t.equal(fake.calls[0]?.params.To, '+77272501234')
  const again = await twilioPost(app, config, `/twilio/voice/gather?notification=${note.id}`, { CallSid: 'CA1', Digits: '1' })
  t.match(again.body, /Нажмите 1/, '1: hear it again')
  const bye = await twilioPost(app, config, `/twilio/voice/gather?notification=${note.id}`, { CallSid: 'CA1', Digits: '9' })
  t.match(bye.body, /До свидания.*<Hangup/)
})

t.test('after STOP nothing is sent; the notification says why', async (t) => {
  const { app, config, fake } = await stack(t)
  const body = requestBody()
  const stop = await twilioPost(app, config, '/twilio/sms', {
    MessageSid: `SM${'a'.repeat(32)}`,
    From: body.requester.phone,
    Body: 'STOP',
  })
  t.equal(stop.statusCode, 200)
  const { reference } = await submit(app, body)
  const note = await waitFor('suppressed', async () => {
    const n = await notificationOf(app, reference)
    return n?.status === 'suppressed' && n
  })
  t.equal(note.error_message, 'recipient opted out')
  t.equal(settled(fake), 0)
})

t.test('Twilio failures: what is retried, what is recorded', async (t) => {
  const { app, fake } = await stack(t)
  const cases = [
    { name: '429 then success', fail: { status: 429, times: 1 }, status: 'delivered', creates: 2, messages: 1 },
    { name: '500 twice then success', fail: { status: 500, times: 2 }, status: 'delivered', creates: 3, messages: 1 },
    {
      name: 'unsubscribed recipient 21610',
      fail: { status: 400, code: 21610 },
      status: 'failed',
      code: 21610,
      creates: 1,
      messages: 0,
    },
    { name: 'invalid number 21211', fail: { status: 400, code: 21211 }, status: 'failed', code: 21211, creates: 1, messages: 0 },
    { name: 'not a mobile 21614', fail: { status: 400, code: 21614 }, status: 'failed', code: 21614, creates: 1, messages: 0 },
    { name: 'connection reset', fail: { reset: true }, status: 'delivered', creates: 2, messages: 1 },
    { name: 'no answer (timeout)', fail: { hang: true }, status: 'delivered', creates: 2, messages: 1 },
    { name: 'accepted, then the connection broke', fail: { acceptThen: 'reset' }, status: 'delivered', creates: 1, messages: 1 },
    { name: 'accepted, then no answer', fail: { acceptThen: 'hang' }, status: 'delivered', creates: 1, messages: 1 },
  ] as const
  for (const c of cases) {
    fake.reset()
    fake.failNext(c.fail as Parameters<FakeTwilio['failNext']>[0])
    const { reference } = await submit(app)
    const note = await waitFor(c.name, async () => {
      const n = await notificationOf(app, reference)
      return n?.status === c.status && n
    })
    const creates = fake.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/Messages.json'))
    t.equal(creates.length, c.creates, `${c.name}: ${c.creates} create request(s)`)
    t.equal(fake.messages.length, c.messages, `${c.name}: ${c.messages} message(s) accepted`)
    if ('code' in c) t.equal(note.error_code, c.code, `${c.name}: code recorded`)
    if (c.status === 'failed') t.notMatch(String(note.error_message), /\d{7}/, `${c.name}: no phone number in the error`)
  }
})

t.test('a worker killed after Twilio accepted, before the job completed, does not send again', async (t) => {
  const { app, fake, deps } = await stack(t, {}, { workers: false })
  const { reference } = await submit(app)
  const { rows } = await app.db.query(
    'SELECT id::text FROM notifications n WHERE request_id = (SELECT id FROM requests WHERE reference = $1)',
    [reference],
  )
  const job = { data: { notificationId: rows[0].id } } as Job<NotifyJob>
  const process = createNotifyProcessor(deps)
  const sid = await process(job)
  t.match(sid, /^SM[0-9a-f]{32}$/)
  // The job never completed: BullMQ hands it to another worker, which runs the processor again.
  t.equal(await process(job), 'already handled')
  t.equal(fake.messages.length, 1)

  // Killed before even recording the SID: the retry finds the message at Twilio.
  await app.db.query("UPDATE notifications SET status = 'sending', twilio_sid = NULL WHERE id = $1", [rows[0].id])
  t.equal(await process(job), 'found earlier send')
  t.equal(fake.messages.length, 1)
  const after = await notificationOf(app, reference)
  t.equal(after.twilio_sid, sid)
})

t.test('status callbacks move the state forward only', async (t) => {
  const { app, config } = await stack(t, {}, { workers: false })
  const { reference } = await submit(app)
  const note = await notificationOf(app, reference)
  const post = (status: string, extra: Record<string, string> = {}) =>
    twilioPost(app, config, `/twilio/status?notification=${note.id}`, { MessageSid: 'SMcb', MessageStatus: status, ...extra })
  t.equal((await post('sent')).statusCode, 204)
  t.equal((await notificationOf(app, reference)).status, 'sent')
  await post('queued')
  t.equal((await notificationOf(app, reference)).status, 'sent', 'a late "queued" does not go back')
  await post('undelivered', { ErrorCode: '30003' })
  t.match(await notificationOf(app, reference), { status: 'undelivered', error_code: 30003, twilio_sid: 'SMcb' })
  await post('delivered')
  t.equal((await notificationOf(app, reference)).status, 'undelivered', 'final stays final')
  const unsigned = await twilioPost(
    app,
    config,
    `/twilio/status?notification=${note.id}`,
    { MessageSid: 'SMcb', MessageStatus: 'delivered' },
    'invalid',
  )
  t.equal(unsigned.statusCode, 403)
  const bad = await twilioPost(app, config, '/twilio/status?notification=abc', { MessageSid: 'SMcb', MessageStatus: 'sent' })
  t.equal(bad.statusCode, 400)
})

t.test('never more than the configured messages per second', async (t) => {
  const { app, fake } = await stack(t, { NOTIFY_RATE_PER_SECOND: 2 })
  for (let i = 0; i < 6; i++) await submit(app, requestBody({ requester: { phone: uniquePhone() } }))
  await waitFor('six messages', async () => fake.messages.length === 6, 20_000)
  const times = fake.messages.map((m) => m.receivedAt.getTime()).sort((a, b) => a - b)
  for (let i = 0; i + 2 < times.length; i++) {
    t.ok((times[i + 2] as number) - (times[i] as number) >= 900, `messages ${i + 1} and ${i + 3} are a second apart`)
  }
})
