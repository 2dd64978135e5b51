import t from 'tap'
import { coordinator, volunteer } from '../accounts-helper.js'
import { requestBody, uniquePhone, waitFor } from '../helper.js'
import { stack } from '../twilio-helper.js'

t.test('request in → claim → bridged call → outcome → each requester told once', async (t) => {
  const { app, fake } = await stack(t)

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
