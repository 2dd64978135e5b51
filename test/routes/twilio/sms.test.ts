import { SegmentedMessage } from 'sms-segments-calculator'
import t from 'tap'
import { build, twilioPost, uniquePhone } from '../../helper.js'

const { app, config } = await build(t)
let sid = 0

/** Sends an SMS from a number as Twilio would; returns the reply text ('' for none). */
async function sms(from: string, body: string, messageSid = `SM${(++sid).toString(16).padStart(32, '0')}`) {
  const res = await twilioPost(app, config, '/twilio/sms', { MessageSid: messageSid, From: from, To: '+15005550006', Body: body })
  t.equal(res.statusCode, 200, `answered: ${body.slice(0, 30)}`)
  t.match(res.headers['content-type'], /text\/xml/)
  const match = /<Message>([\s\S]*)<\/Message>/.exec(res.body)
  const text = match
    ? (match[1] as string)
        .replace(/&amp;/g, '&')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'")
    : ''
  if (text) t.ok(new SegmentedMessage(text).segmentsCount <= 2, `reply fits two segments: ${text}`)
  return text
}

async function requestsFrom(phone: string) {
  const { rows } = await app.db.query(
    `SELECT reference, status, source, requester_language, relative_phone, relative_name, relative_city, city_key,
            flag_elderly, flag_medical, flag_children, flag_disability FROM requests WHERE requester_phone = $1 ORDER BY id`,
    [phone],
  )
  return rows
}

t.test('a conversation in each language ends in a request', async (t) => {
  const conversations = [
    {
      language: 'ru',
      lines: ['Здравствуйте, нужна помощь', '8 701 555 12 34', 'Галина Петровна', 'Алма-Ата', '1 2'],
      ask: /номер/,
      done: /Заявка [2-9A-Z]{4}-[2-9A-Z]{4} принята.*30 дней/,
    },
    {
      language: 'kk',
      lines: ['Сәлеметсіз бе', '+7 702 555 12 34', 'Әлия апа', 'Қарағанды', '0'],
      ask: /нөмір/,
      done: /Өтінім [2-9A-Z]{4}-[2-9A-Z]{4} қабылданды/,
    },
    {
      language: 'en',
      lines: ['Hello, please check on my mother', '87055551234', 'Dana', 'Astana', '3'],
      ask: /phone number/,
      done: /Request [2-9A-Z]{4}-[2-9A-Z]{4} accepted/,
    },
  ]
  for (const c of conversations) {
    const phone = uniquePhone()
    const replies = []
    for (const line of c.lines) replies.push(await sms(phone, line))
    t.match(replies[0], c.ask, `${c.language}: asks for the phone`)
    t.match(replies.at(-1), c.done, `${c.language}: gives the reference`)
    const [request] = await requestsFrom(phone)
    t.match(request, { source: 'sms', requester_language: c.language, status: 'received' }, `${c.language}: request`)
    t.match(replies.at(-1), request.reference.slice(0, 4))
  }
  const [ru] = await requestsFrom(await firstRequester('Галина Петровна'))
  t.match(ru, {
    relative_phone: '+77015551234',
    relative_city: 'Алма-Ата',
    city_key: 'almaty',
    flag_elderly: true,
    flag_medical: true,
    flag_children: false,
  })
  const notes = await app.db.query(
    "SELECT count(*)::int AS n FROM notifications n JOIN requests r ON r.id = n.request_id WHERE r.source = 'sms'",
  )
  t.equal(notes.rows[0].n, 0, 'the reply gave the reference: no second "received" SMS')
})

async function firstRequester(relativeName: string): Promise<string> {
  const { rows } = await app.db.query('SELECT requester_phone FROM requests WHERE relative_name = $1', [relativeName])
  return rows[0].requester_phone
}

t.test('everything in one message: only the needs are asked', async (t) => {
  const phone = uniquePhone()
  t.match(await sms(phone, '+7 701 123 4567 Айгуль Алматы'), /срочные нужды/i)
  t.match(await sms(phone, 'нет'), /принята/)
  const [request] = await requestsFrom(phone)
  t.match(request, { relative_phone: '+77011234567', relative_name: 'Айгуль', city_key: 'almaty', flag_elderly: false })
})

t.test('the same relative again gets the open request back', async (t) => {
  const phone = uniquePhone()
  await sms(phone, '8 701 765 43 21 Мама Астана')
  const first = await sms(phone, '0')
  await sms(phone, '8 701 765 43 21 Мама Астана')
  const again = await sms(phone, '0')
  t.match(again, /уже спрашивали/)
  t.match(again, first.match(/[2-9A-Z]{4}-[2-9A-Z]{4}/)?.[0] ?? 'no reference')
  t.equal((await requestsFrom(phone)).length, 1)
})

t.test('bad answers get a short helpful reply and the question stays', async (t) => {
  const phone = uniquePhone()
  await sms(phone, 'Привет')
  t.match(await sms(phone, '12345'), /не номер/, 'invalid phone')
  t.match(await sms(phone, 'x'.repeat(1600)), /слишком длинное/, '1,600 characters')
  t.match(await sms(phone, ''), /пустое/, 'empty body')
  t.match(await sms(phone, '8 701 111 22 33'), /Как зовут/)
  t.match(await sms(phone, '😀😀😀'), /только буквы/, 'emoji only')
  t.match(await sms(phone, 'Бабушка Roza 🌹'), /городе/, 'mixed scripts and an emoji: the letters are kept')
  t.match(await sms(phone, 'Шымкент'), /нужды/)
  t.match(await sms(phone, '7'), /от 0 до 4/)
  t.match(await sms(phone, '1, 4'), /принята/)
  const [request] = await requestsFrom(phone)
  t.match(request, { relative_name: 'Бабушка Roza', flag_elderly: true, flag_disability: true })
})

t.test('keywords: help, status, cancel, language', async (t) => {
  const phone = uniquePhone()
  t.match(await sms(phone, 'ПОМОЩЬ'), /СТАТУС/)
  t.match(await sms(phone, 'КӨМЕК'), /КҮЙ/)
  t.match(await sms(phone, 'help'), /STATUS/)
  t.match(await sms(phone, 'СТАТУС'), /нет/i)
  await sms(phone, '8 702 111 22 33 Асем Павлодар')
  const created = await sms(phone, '0')
  const reference = created.match(/[2-9A-Z]{4}-[2-9A-Z]{4}/)?.[0] as string
  t.match(await sms(phone, 'статус'), new RegExp(`${reference}: ждёт волонтёра`))
  t.match(await sms(phone, 'LANG EN'), /English/)
  t.match(await sms(phone, 'STATUS'), new RegExp(`${reference}: waiting for a volunteer`), 'the choice sticks')
  t.match(await sms(phone, 'ТІЛ'), /қазақша/)
  await sms(phone, 'LANG RU')
  await sms(phone, '8 702 444 55 66 Ерлан Атырау')
  await sms(phone, '0')
  t.match(await sms(phone, 'ОТМЕНА'), /несколько заявок.*ОТМЕНА/, 'two open: which one?')
  t.match(await sms(phone, `отмена ${reference.toLowerCase()}`), new RegExp(`${reference} отменена`))
  t.match(await sms(phone, 'ОТМЕНА'), /отменена/, 'one left: cancelled')
  t.match(await sms(phone, 'ОТМЕНА'), /Нет открытой/)
  const statuses = (await requestsFrom(phone)).map((r) => r.status)
  t.same(statuses, ['cancelled', 'cancelled'])
  const events = await app.db.query(
    "SELECT actor_type, from_status FROM request_events e JOIN requests r ON r.id = e.request_id WHERE r.requester_phone = $1 AND e.type = 'cancelled'",
    [phone],
  )
  t.same(
    events.rows.map((e) => e.actor_type),
    ['requester', 'requester'],
  )
})

t.test('STOP: recorded, no second confirmation, nothing more until START', async (t) => {
  const phone = uniquePhone()
  await sms(phone, 'Привет')
  t.equal(await sms(phone, 'STOP'), '', 'Twilio confirms STOP itself: we stay silent')
  const optOut = await app.db.query('SELECT 1 FROM opt_outs WHERE phone = $1', [phone])
  t.equal(optOut.rowCount, 1)
  t.equal(await sms(phone, '8 701 222 33 44'), '', 'nothing is sent to an opted-out number')
  t.equal(await sms(phone, 'cancel'), '', 'a bare CANCEL is an opt-out word at Twilio too')
  t.equal(await sms(phone, 'START'), '', 'Twilio confirms START itself')
  t.match(await sms(phone, 'Привет'), /номер/, 'answered again after START')
  t.match(await sms(phone, 'СТОП'), /Больше сообщений/, 'Twilio does not know СТОП: we confirm it once')
  t.equal(await sms(phone, 'Привет'), '')
  t.match(await sms(phone, 'СТАРТ'), /возобновлены/)
})

t.test('a conversation idle past the limit restarts politely', async (t) => {
  const phone = uniquePhone()
  await sms(phone, 'Привет')
  await sms(phone, '8 701 333 44 55')
  await app.db.query("UPDATE sms_conversations SET updated_at = now() - interval '61 minutes' WHERE phone = $1", [phone])
  t.match(await sms(phone, 'Мама'), /устарела.*номер телефона/)
})

t.test('a repeated delivery is processed once and answered the same', async (t) => {
  const phone = uniquePhone()
  await sms(phone, 'Привет')
  await sms(phone, '8 701 444 55 66 Нурлан Тараз')
  const first = await sms(phone, '2', `SM${'f'.repeat(32)}`)
  const again = await sms(phone, '2', `SM${'f'.repeat(32)}`)
  t.equal(again, first)
  t.equal((await requestsFrom(phone)).length, 1)
})

t.test('a bad or missing signature: 403, nothing stored, nothing answered', async (t) => {
  const phone = uniquePhone()
  for (const signature of ['invalid', 'missing'] as const) {
    const res = await twilioPost(
      app,
      config,
      '/twilio/sms',
      { MessageSid: `SMbad${signature}`, From: phone, Body: 'Привет' },
      signature,
    )
    t.equal(res.statusCode, 403)
    t.equal(res.json().code, 'APP_ERR_TWILIO_SIGNATURE')
  }
  const signedForOtherUrl = await twilioPost(app, config, '/twilio/sms?x=1', { MessageSid: 'SMx', From: phone, Body: 'x' })
  t.equal(signedForOtherUrl.statusCode, 200, 'the query string is part of what is signed')
  const stored = await app.db.query('SELECT 1 FROM inbound_messages WHERE message_sid LIKE $1', ['SMbad%'])
  t.equal(stored.rowCount, 0)
  const conv = await app.db.query('SELECT 1 FROM sms_conversations WHERE phone = $1 AND step = $2', [phone, 'nope'])
  t.equal(conv.rowCount, 0)
  const unsignedGarbage = await twilioPost(app, config, '/twilio/sms', { nothing: 'here' }, 'missing')
  t.equal(unsignedGarbage.statusCode, 403, 'signature first, then validation')
})

t.test('the fallback URL answers without the database', async (t) => {
  const res = await twilioPost(app, config, '/twilio/sms/fallback', { MessageSid: 'SMfb', From: uniquePhone(), Body: 'Сәлем' })
  t.equal(res.statusCode, 200)
  t.match(res.body, /қайта жіберіңіз/)
})

t.test('a sibling by SMS joins the open request; their cancel only takes them off it', async (t) => {
  const relativePhone = uniquePhone()
  const web = await app.inject({
    method: 'POST',
    url: '/api/v1/requests',
    payload: {
      requester: { name: 'Асель', phone: uniquePhone(), language: 'ru', notifyVia: 'sms' },
      relative: { name: 'Папа', phone: relativePhone, city: 'Актобе' },
      consent: true,
    },
  })
  const reference = web.json().reference as string
  const phone = uniquePhone()
  await sms(phone, `${relativePhone} Әкем Ақтөбе`)
  const joined = await sms(phone, '0')
  t.match(joined, `${reference.slice(0, 4)}-${reference.slice(4)}`, 'the same reference')
  t.match(joined, /қабылданды/, 'told as a new request would be, in Kazakh')
  t.match(await sms(phone, 'БАС ТАРТУ'), /тоқтатылды/)
  const { rows } = await app.db.query('SELECT status, relative_other_names FROM requests WHERE reference = $1', [reference])
  t.match(rows[0], { status: 'received', relative_other_names: ['Әкем'] }, 'still open for the first requester')
  const left = await app.db.query(
    'SELECT count(*)::int AS n FROM request_requesters q JOIN requests r ON r.id = q.request_id WHERE r.reference = $1',
    [reference],
  )
  t.equal(left.rows[0].n, 1)
})
