import formbody from '@fastify/formbody'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import twilio from 'twilio'
import type RequestClient from 'twilio/lib/base/RequestClient.js'
import { createFakeTwilio, type FakeTwilio, type FakeTwilioOptions } from '../../dev/fake-twilio/server.js'

const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef'
const AUTH_TOKEN = 'test-auth-token'
const SID = /^(SM|CA)[0-9a-f]{32}$/

/** Sends what the library means for any *.twilio.com host to the fake instead. */
class RedirectingClient extends twilio.RequestClient {
  readonly baseUrl: string

  constructor(baseUrl: string, options?: RequestClient.RequestClientOptions) {
    super(options)
    this.baseUrl = baseUrl
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    return super.request({ ...opts, uri: opts.uri.replace(/^https:\/\/([a-z0-9-]+\.)*twilio\.com(:\d+)?/i, this.baseUrl) })
  }
}

interface ClientOptions {
  token?: string
  accountSid?: string
  timeout?: number
}

function client(fake: FakeTwilio, { token = AUTH_TOKEN, accountSid, timeout }: ClientOptions = {}) {
  const httpClient = new RedirectingClient(fake.url, timeout ? { timeout } : {})
  return twilio(ACCOUNT_SID, token, { httpClient, accountSid })
}

async function startFake(t: Test, options: Partial<FakeTwilioOptions> = {}) {
  const fake = await createFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, ...options })
  t.teardown(() => fake.close())
  return fake
}

interface Received {
  url: string
  params: Record<string, string>
  signature: string | undefined
  valid: boolean
}

/** A stand-in for the service's webhook routes: checks the signature the way the service will. */
async function startReceiver(t: Test) {
  const app = Fastify({ logger: false })
  await app.register(formbody)
  const received: Received[] = []
  let baseUrl = ''
  app.post('/*', async (request, reply) => {
    const header = request.headers['x-twilio-signature']
    const signature = typeof header === 'string' ? header : undefined
    const params = request.body as Record<string, string>
    const valid = twilio.validateRequest(AUTH_TOKEN, signature ?? '', baseUrl + request.url, params)
    received.push({ url: request.url, params, signature, valid })
    if (!valid) return reply.code(403).send('bad signature')
    return reply.type('text/xml').send(new twilio.twiml.MessagingResponse().toString())
  })
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  return { baseUrl, received }
}

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

t.test('messages.create from a number: 201 with Twilio fields, recorded', async (t) => {
  const fake = await startFake(t)
  const message = await client(fake).messages.create({
    to: '+77011234567',
    from: '+15005550006',
    body: 'Hello',
    statusCallback: 'https://bailanys.example/twilio/status?job=1',
  })
  t.match(message, {
    sid: SID,
    accountSid: ACCOUNT_SID,
    to: '+77011234567',
    from: '+15005550006',
    messagingServiceSid: null,
    body: 'Hello',
    status: 'queued',
    numSegments: '1',
    direction: 'outbound-api',
    errorCode: null,
    errorMessage: null,
    price: null,
    apiVersion: '2010-04-01',
    uri: `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${message.sid}.json`,
  })
  t.ok(message.dateCreated instanceof Date && !Number.isNaN(message.dateCreated.getTime()), 'an RFC 2822 date')
  t.equal(fake.messages.length, 1)
  t.same(fake.messages[0]?.params, {
    To: '+77011234567',
    From: '+15005550006',
    Body: 'Hello',
    StatusCallback: 'https://bailanys.example/twilio/status?job=1',
  })
  t.equal(fake.messages[0]?.sid, message.sid)
  t.match(fake.requests, [{ method: 'POST', url: `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`, status: 201 }])

  const russian = 'Здравствуйте! Ваш запрос принят. Мы позвоним вашим родным и сообщим вам, как только дозвонимся до них.'
  const long = await client(fake).messages.create({ to: '+77011234567', from: '+15005550006', body: russian })
  t.equal(long.numSegments, '2', 'a 103-character Cyrillic text is two UCS-2 segments')
})

t.test('messages.create through a messaging service: accepted, no from', async (t) => {
  const fake = await startFake(t)
  const service = `MG${'1'.repeat(32)}`
  const message = await client(fake).messages.create({ to: '+77011234567', messagingServiceSid: service, body: 'Hi' })
  t.match(message, { status: 'accepted', from: null, messagingServiceSid: service })
  t.equal(fake.messages[0]?.params.MessagingServiceSid, service)
})

t.test('calls.create with TwiML; StatusCallbackEvent arrives as a repeated key', async (t) => {
  const fake = await startFake(t)
  const twiml = new twilio.twiml.VoiceResponse()
  twiml.say({ language: 'ru-RU' }, 'Здравствуйте')
  const call = await client(fake).calls.create({
    to: '+77011234567',
    from: '+15005550006',
    twiml,
    statusCallback: 'https://bailanys.example/twilio/call-status',
    statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
  })
  t.match(call, { sid: SID, status: 'queued', to: '+77011234567', from: '+15005550006', direction: 'outbound-api' })
  t.ok(call.sid.startsWith('CA'))
  const params = fake.calls[0]?.params
  t.equal(params?.Twiml, twiml.toString())
  t.same(params?.StatusCallbackEvent, ['initiated', 'ringing', 'answered', 'completed'])
  t.match(await client(fake).calls(call.sid).fetch(), { sid: call.sid, status: 'queued' })
})

t.test('Twilio-style validation errors', async (t) => {
  const fake = await startFake(t)
  const twilioClient = client(fake)
  await t.rejects(twilioClient.messages.create({ to: '', from: '+15005550006', body: 'x' }), { status: 400, code: 21604 })
  await t.rejects(twilioClient.messages.create({ to: '+77011234567', from: '+15005550006' }), { status: 400, code: 21602 })
  await t.rejects(twilioClient.messages.create({ to: '+77011234567', body: 'x' }), {
    status: 400,
    code: 21603,
    moreInfo: 'https://www.twilio.com/docs/errors/21603',
  })
  await t.rejects(twilioClient.calls.create({ to: '+77011234567', from: '+15005550006' }), { status: 400, code: 21205 })
  t.equal(fake.messages.length + fake.calls.length, 0, 'nothing rejected is recorded')
  t.same(
    fake.requests.map((r) => r.status),
    [400, 400, 400, 400],
  )
})

t.test('authentication and account', async (t) => {
  const fake = await startFake(t)
  const err = await client(fake, { token: 'wrong' })
    .messages.create({ to: '+77011234567', from: '+15005550006', body: 'x' })
    .catch((e: unknown) => e)
  // RestException keeps name 'Error', so tap's t.rejects(p, Class) (which compares names) cannot match it.
  t.ok(err instanceof twilio.RestException)
  t.match(err, { status: 401, code: 20003, message: 'Authenticate', moreInfo: 'https://www.twilio.com/docs/errors/20003' })
  const otherAccount = client(fake, { accountSid: `AC${'9'.repeat(32)}` })
  await t.rejects(otherAccount.messages.create({ to: '+77011234567', from: '+15005550006', body: 'x' }), {
    status: 404,
    code: 20404,
  })
  t.equal(fake.messages.length, 0)
})

t.test('fetching a message by sid', async (t) => {
  const fake = await startFake(t)
  const twilioClient = client(fake)
  const sent = await twilioClient.messages.create({ to: '+77011234567', from: '+15005550006', body: 'x' })
  t.match(await twilioClient.messages(sent.sid).fetch(), { sid: sent.sid, body: 'x', status: 'queued' })
  await t.rejects(twilioClient.messages(`SM${'0'.repeat(32)}`).fetch(), { status: 404, code: 20404 })
  await t.rejects(twilioClient.calls(sent.sid).fetch(), { status: 404, code: 20404 }, 'a message sid is not a call')
})

t.test('failNext: transient and permanent errors, in order, by path and count', async (t) => {
  const fake = await startFake(t)
  const twilioClient = client(fake)
  const send = () => twilioClient.messages.create({ to: '+77011234567', from: '+15005550006', body: 'x' })
  const call = () => twilioClient.calls.create({ to: '+77011234567', from: '+15005550006', url: 'https://x.example/v' })

  fake.failNext({ status: 429 })
  fake.failNext({ status: 500, times: 2 })
  fake.failNext({ status: 400, code: 21610 })
  await t.rejects(send(), { status: 429, code: 20429, message: 'Too Many Requests' })
  await t.rejects(send(), { status: 500, code: 20500 })
  await t.rejects(send(), { status: 500, code: 20500 })
  await t.rejects(send(), { status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' })
  t.match(await send(), { status: 'queued' }, 'the queue is used up')

  fake.failNext({ status: 503, path: 'Calls' })
  fake.failNext({ status: 400, code: 21614 })
  await t.rejects(send(), { status: 400, code: 21614 }, 'a Calls failure waits for a call')
  await t.rejects(call(), { status: 503, code: 20500 })
  t.match(await call(), { status: 'queued' })
  t.equal(fake.messages.length, 1)
  t.equal(fake.calls.length, 1)
})

t.test('failNext reset: the client sees a network error, not a RestException', async (t) => {
  const fake = await startFake(t)
  fake.failNext({ reset: true })
  const err = await client(fake)
    .messages.create({ to: '+77011234567', from: '+15005550006', body: 'x' })
    .catch((e: unknown) => e)
  t.notOk(err instanceof twilio.RestException)
  t.match(err, { code: 'ECONNRESET' })
  t.equal(fake.messages.length, 0)
  t.match(fake.requests, [{ status: 'reset' }])
})

t.test('failNext hang: the client times out, close() still returns', async (t) => {
  const fake = await startFake(t)
  fake.failNext({ hang: true })
  const started = Date.now()
  const err = await client(fake, { timeout: 300 })
    .messages.create({ to: '+77011234567', from: '+15005550006', body: 'x' })
    .catch((e: unknown) => e)
  t.ok(Date.now() - started >= 290, 'after the timeout')
  t.notOk(err instanceof twilio.RestException)
  t.match(err, { code: 'ECONNABORTED', message: /timeout of 300ms exceeded/ })
  t.match(fake.requests, [{ status: 'hang' }])
})

t.test('acceptThen: Twilio took the message but the client never hears', async (t) => {
  const fake = await startFake(t)
  const twilioClient = client(fake, { timeout: 300 })
  const send = () => twilioClient.messages.create({ to: '+77011234567', from: '+15005550006', body: 'x' })
  fake.failNext({ acceptThen: 'reset' })
  await t.rejects(send(), { code: 'ECONNRESET' })
  fake.failNext({ acceptThen: 'hang' })
  await t.rejects(send(), { code: 'ECONNABORTED' })
  t.equal(fake.messages.length, 2, 'both were accepted')
  const sid = fake.messages[0]?.sid ?? ''
  t.match(await twilioClient.messages(sid).fetch(), { sid, status: 'queued' }, 'and exist at Twilio')
})

t.test('sendInboundSms signs like Twilio: valid, invalid, missing', async (t) => {
  const receiver = await startReceiver(t)
  const fake = await startFake(t, { webhookBaseUrl: receiver.baseUrl })

  const answer = await fake.sendInboundSms({ from: '+77011234567', body: 'СТОП' })
  t.equal(answer.status, 200)
  t.match(answer.contentType, /text\/xml/)
  t.match(answer.body, /<Response\s*\/>|<Response><\/Response>/)
  t.match(receiver.received[0], {
    url: '/twilio/sms',
    valid: true,
    params: {
      MessageSid: SID,
      AccountSid: ACCOUNT_SID,
      From: '+77011234567',
      To: '+15005550006',
      Body: 'СТОП',
      NumMedia: '0',
      NumSegments: '1',
      SmsStatus: 'received',
      ApiVersion: '2010-04-01',
    },
  })
  t.equal(receiver.received[0]?.params.SmsSid, receiver.received[0]?.params.MessageSid)

  await client(fake).messages.create({ to: '+77011234567', from: '+77770000001', body: 'x' })
  await fake.sendInboundSms({ from: '+77011234567', body: 'да', path: '/hooks/sms?lang=kk', messageSid: `SM${'a'.repeat(32)}` })
  t.match(receiver.received[1], {
    url: '/hooks/sms?lang=kk',
    valid: true,
    params: { To: '+77770000001', MessageSid: `SM${'a'.repeat(32)}` },
  })

  t.equal((await fake.sendInboundSms({ from: '+77011234567', body: 'x', signature: 'invalid' })).status, 403)
  t.match(receiver.received[2], { valid: false, signature: String })
  t.equal((await fake.sendInboundSms({ from: '+77011234567', body: 'x', signature: 'missing' })).status, 403)
  t.match(receiver.received[3], { valid: false, signature: undefined })
})

t.test('sendInboundSms needs webhookBaseUrl', async (t) => {
  const fake = await startFake(t)
  await t.rejects(fake.sendInboundSms({ from: '+77011234567', body: 'x' }), /webhookBaseUrl/)
})

t.test('sendStatusCallback posts a signed callback to an absolute URL', async (t) => {
  const receiver = await startReceiver(t)
  const fake = await startFake(t)
  const answer = await fake.sendStatusCallback(`${receiver.baseUrl}/twilio/status?job=7`, {
    MessageSid: `SM${'b'.repeat(32)}`,
    MessageStatus: 'undelivered',
    ErrorCode: '30003',
  })
  t.equal(answer.status, 200)
  t.match(receiver.received[0], {
    valid: true,
    params: { MessageStatus: 'undelivered', ErrorCode: '30003', AccountSid: ACCOUNT_SID, ApiVersion: '2010-04-01' },
  })
})

t.test('autoStatusCallbacks: sent then delivered; call progress by StatusCallbackEvent', async (t) => {
  const receiver = await startReceiver(t)
  const fake = await startFake(t, { autoStatusCallbacks: true })
  const twilioClient = client(fake)
  const message = await twilioClient.messages.create({
    to: '+77011234567',
    from: '+15005550006',
    body: 'x',
    statusCallback: `${receiver.baseUrl}/twilio/status`,
  })
  await waitFor('two message callbacks', () => receiver.received.length === 2)
  t.same(
    receiver.received.map((r) => [r.params.MessageSid, r.params.MessageStatus, r.valid]),
    [
      [message.sid, 'sent', true],
      [message.sid, 'delivered', true],
    ],
  )
  t.match(receiver.received[0]?.params, { To: '+77011234567', From: '+15005550006', AccountSid: ACCOUNT_SID })
  t.match(await twilioClient.messages(message.sid).fetch(), { status: 'delivered' }, 'the resource follows')

  receiver.received.length = 0
  const callStatus = `${receiver.baseUrl}/twilio/call-status`
  const all = await twilioClient.calls.create({
    to: '+77011234567',
    from: '+15005550006',
    twiml: '<Response/>',
    statusCallback: callStatus,
    statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
  })
  await waitFor('four call callbacks', () => receiver.received.length === 4)
  t.same(
    receiver.received.map((r) => [r.params.CallStatus, r.params.SequenceNumber]),
    [
      ['initiated', '0'],
      ['ringing', '1'],
      ['in-progress', '2'],
      ['completed', '3'],
    ],
  )
  t.match(receiver.received[3]?.params, { CallSid: all.sid, CallDuration: String })
  t.ok(receiver.received.every((r) => r.valid))

  receiver.received.length = 0
  await twilioClient.calls.create({ to: '+77011234567', from: '+15005550006', twiml: '<Response/>', statusCallback: callStatus })
  await waitFor('the completed callback', () => receiver.received.length === 1)
  await new Promise((resolve) => setTimeout(resolve, 250))
  t.same(
    receiver.received.map((r) => [r.params.CallStatus, r.params.SequenceNumber]),
    [['completed', '0']],
    'by default Twilio only reports completion',
  )
  t.same(fake.callbackErrors, [])
})

t.test('callbacks that fail are recorded, and reset() forgets everything', async (t) => {
  const fake = await startFake(t, { autoStatusCallbacks: true })
  await client(fake).messages.create({
    to: '+77011234567',
    from: '+15005550006',
    body: 'x',
    statusCallback: 'http://127.0.0.1:1/twilio/status',
  })
  await waitFor('two callback errors', () => fake.callbackErrors.length === 2)
  t.match(fake.callbackErrors, [{ status: 'sent' }, { status: 'delivered' }])

  fake.failNext({ status: 429, times: 5 })
  fake.reset()
  t.same([fake.messages, fake.calls, fake.requests, fake.callbackErrors], [[], [], [], []])
  t.match(await client(fake).messages.create({ to: '+77011234567', from: '+15005550006', body: 'x' }), { status: 'queued' })
})

t.test('onActivity reports without phone numbers or text', async (t) => {
  const seen: unknown[] = []
  const fake = await startFake(t, { onActivity: (activity) => seen.push(activity) })
  fake.failNext({ status: 400, code: 21211 })
  const twilioClient = client(fake)
  await t.rejects(twilioClient.messages.create({ to: '+77011234567', from: '+15005550006', body: 'secret' }))
  const message = await twilioClient.messages.create({ to: '+77011234567', from: '+15005550006', body: 'secret' })
  t.same(seen, [
    { kind: 'create', resource: 'Messages', answer: 400, code: 21211 },
    { kind: 'create', resource: 'Messages', answer: 201, sid: message.sid, status: 'queued', numSegments: 1 },
  ])
  t.notMatch(JSON.stringify(seen), /secret|\+7701/)
})
