import { randomUUID } from 'node:crypto'
import { SegmentedMessage } from 'sms-segments-calculator'
import t from 'tap'
import { sessionFor, volunteer } from '../../accounts-helper.js'
import { build, twilioPost, uniquePhone } from '../../helper.js'
import { claim, setup } from '../../tasks-helper.js'

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
    `SELECT reference, status, source, requester_language, relative_phone, relative_name, relative_relation, relative_city,
            city_key, flag_elderly, flag_medical, flag_children, flag_disability, priority
     FROM requests WHERE requester_phone = $1 ORDER BY id`,
    [phone],
  )
  return rows
}

t.test('a conversation in each language: the reference as soon as the phone and the place are known', async (t) => {
  const conversations = [
    {
      language: 'ru',
      lines: ['Здравствуйте, нужна помощь', '8 701 555 12 34', 'Галина Петровна, Алма-Ата', '1 2'],
      ask: [/номер/, /городе/],
      done: /^Заявка ([2-9A-Z]{4}-[2-9A-Z]{4}) принята.*30 дней.*1 пожилой/,
      noted: /записали в заявку/,
    },
    {
      language: 'kk',
      lines: ['Сәлеметсіз бе', '+7 702 555 12 34', 'Әлия апа, Қарағанды', '0'],
      ask: [/нөмір/, /қалада/],
      done: /^Өтінім ([2-9A-Z]{4}-[2-9A-Z]{4}) қабылданды.*1 қарт/,
      noted: /жазып алдық/,
    },
    {
      language: 'en',
      lines: ['Hello, please check on my mother', '87055551234', 'Dana, Astana', '3'],
      ask: [/phone number/, /city or village/],
      done: /^Request ([2-9A-Z]{4}-[2-9A-Z]{4}) accepted.*To be called sooner, reply 1 elderly/,
      noted: /noted on request/,
    },
  ]
  for (const c of conversations) {
    const phone = uniquePhone()
    const replies = []
    for (const line of c.lines.slice(0, 3)) replies.push(await sms(phone, line))
    t.match(replies[0], c.ask[0], `${c.language}: asks for the phone`)
    t.match(replies[1], c.ask[1], `${c.language}: then for the place, not the name`)
    t.match(replies[2], c.done, `${c.language}: the reference at once, the needs offered`)
    const [request] = await requestsFrom(phone)
    t.match(request, { source: 'sms', requester_language: c.language, status: 'received' }, `${c.language}: request`)
    const reference = c.done.exec(replies[2] as string)?.[1] as string
    t.equal(reference.replace('-', ''), request.reference)
    const noted = await sms(phone, c.lines[3] as string)
    t.match(noted, c.noted, `${c.language}: a later answer is noted`)
    t.match(noted, reference)
    t.equal((await requestsFrom(phone)).length, 1, `${c.language}: still one request`)
  }
  const [ru] = await requestsFrom(await firstRequester('Галина Петровна'))
  t.match(ru, {
    relative_phone: '+77015551234',
    relative_name: 'Галина Петровна',
    relative_city: 'Алматы',
    city_key: 'almaty',
    flag_elderly: true,
    flag_medical: true,
    flag_children: false,
    priority: 1,
  })
  const [kk] = await requestsFrom(await firstRequester('Әлия'))
  t.match(kk, { relative_relation: 'апа', relative_city: 'Қарағанды', priority: 10 })
  const notes = await app.db.query(
    "SELECT count(*)::int AS n FROM notifications n JOIN requests r ON r.id = n.request_id WHERE r.source = 'sms'",
  )
  t.equal(notes.rows[0].n, 0, 'the reply gave the reference: no second "received" SMS')
})

async function firstRequester(relativeName: string): Promise<string> {
  const { rows } = await app.db.query('SELECT requester_phone FROM requests WHERE relative_name = $1', [relativeName])
  return rows[0].requester_phone
}

t.test('everything in one message: the reference in the first reply', async (t) => {
  const phone = uniquePhone()
  t.match(await sms(phone, '+7 701 123 4567 Айгуль Алматы'), /^Заявка [2-9A-Z]{4}-[2-9A-Z]{4} принята.*Если срочно/)
  const [request] = await requestsFrom(phone)
  t.match(request, { relative_phone: '+77011234567', relative_name: 'Айгуль', city_key: 'almaty', flag_elderly: false })
  t.match(await sms(phone, 'нет'), /записали/)
})

t.test('what people write is read into its fields', async (t) => {
  const relative = uniquePhone()
  const cases = [
    {
      text: 'мама в Уральске, 8 778 123 45 67, Галина Петровна',
      row: { relative_name: 'Галина Петровна', relative_relation: 'мама', relative_city: 'Уральск', city_key: 'oral' },
    },
    {
      text: `мама ${relative} или 87021234567 Алматы`,
      row: { relative_name: null, relative_relation: 'мама', relative_alt_phone: '+77021234567', relative_city: 'Алматы' },
    },
    {
      text: 'Проверьте пожалуйста маму Айгуль Сериковна мкр Аксай-4 д. 12, 8 705 123 45 67 Алматы',
      row: { relative_name: 'Айгуль Сериковна', relative_relation: 'мама', relative_address: 'мкр Аксай-4 д. 12' },
    },
    { text: 'Please check on my mother Aigul in Astana . 87011112233', row: { relative_name: 'Aigul', relative_city: 'Astana' } },
    { text: '87013334455 Город Талдыкорган.', row: { relative_name: null, relative_city: 'Талдыкорган' } },
    {
      text: `Анам ${uniquePhone()} Шымкентте тұрады, 80 жаста`,
      row: { relative_relation: 'анам', relative_city: 'Шымкент', priority: 4 },
    },
  ]
  for (const c of cases) {
    const phone = uniquePhone()
    t.match(await sms(phone, c.text), /[2-9A-Z]{4}-[2-9A-Z]{4}/, c.text)
    const { rows } = await app.db.query(
      `SELECT relative_name, relative_relation, relative_alt_phone, relative_city, relative_address, city_key, priority
       FROM requests WHERE requester_phone = $1`,
      [phone],
    )
    t.match(rows[0], c.row, c.text)
  }
})

t.test('the same relative again gets the open request back', async (t) => {
  const phone = uniquePhone()
  const relative = uniquePhone()
  const first = await sms(phone, `${relative} Мама Астана`)
  const again = await sms(phone, `${relative} Мама Астана, она болеет`)
  t.match(again, /уже спрашивали/)
  t.match(again, first.match(/[2-9A-Z]{4}-[2-9A-Z]{4}/)?.[0] ?? 'no reference')
  const requests = await requestsFrom(phone)
  t.equal(requests.length, 1)
  t.match(requests[0], { flag_medical: true }, 'what the second message adds is kept')
})

t.test('bad answers get a short helpful reply and the question stays', async (t) => {
  const phone = uniquePhone()
  await sms(phone, 'Привет')
  t.match(await sms(phone, '12345'), /не номер/, 'invalid phone')
  t.match(await sms(phone, 'x'.repeat(1600)), /слишком длинное/, '1,600 characters')
  t.match(await sms(phone, ''), /пустое/, 'empty body')
  t.match(await sms(phone, uniquePhone().replace('+7', '8 ')), /городе/)
  t.match(await sms(phone, '😀😀😀'), /только буквы/, 'emoji only')
  t.match(await sms(phone, 'Шымкент 🌹'), /принята/, 'an emoji beside the place')
  t.match(await sms(phone, '7'), /уже принята.*пришлите номер/, 'not a needs answer: where things stand')
  t.match(await sms(phone, '1, 4'), /записали/)
  const [request] = await requestsFrom(phone)
  t.match(request, { relative_name: null, relative_city: 'Шымкент', flag_elderly: true, flag_disability: true })
})

t.test('over the hourly limit: no request, and what the conversation knew is kept', async (t) => {
  const { app, config } = await build(t, { RATE_LIMIT_PER_PHONE_PER_HOUR: 1 })
  const phone = uniquePhone()
  const send = (body: string) =>
    twilioPost(app, config, '/twilio/sms', { MessageSid: `SM${randomUUID().replaceAll('-', '')}`, From: phone, Body: body })
  t.match((await send(`${uniquePhone()} Алматы`)).body, /принята/)
  t.match((await send(`${uniquePhone()} мама Тараз`)).body, /Слишком много заявок/)
  const { rows } = await app.db.query('SELECT step, draft FROM sms_conversations WHERE phone = $1', [phone])
  t.match(rows[0], { step: 'place', draft: { place: 'Тараз', relation: 'мама' } })
  const count = await app.db.query('SELECT count(*)::int AS n FROM requests WHERE requester_phone = $1', [phone])
  t.equal(count.rows[0].n, 1)
})

t.test('urgent needs sent later: a waiting request moves up, a claimed one only records them', async (t) => {
  const { app, config, boss, checkins, relay } = await setup(t)
  const send = (from: string, body: string) =>
    twilioPost(app, config, '/twilio/sms', {
      MessageSid: `SM${randomUUID().replaceAll('-', '')}`,
      From: from,
      To: '+15005550006',
      Body: body,
    })
  const jobOf = async (phone: string) => {
    const { rows } = await app.db.query('SELECT id, priority FROM requests WHERE requester_phone = $1', [phone])
    return { priority: rows[0].priority, job: await checkins.ru.getJob(`request-${rows[0].id}`) }
  }
  const claimed = uniquePhone()
  await send(claimed, `${uniquePhone()} мама Тараз`)
  await relay.runOnce()
  const vera = await volunteer(app, boss, { languages: ['ru'] })
  const task = (await claim(app, vera.headers)).json().task
  t.match(task.relative, { name: null, relation: 'мама', city: 'Тараз' }, 'the relation, and no name to show')
  const page = await app.inject({
    url: `/volunteer/task/${task.reference}`,
    cookies: { bailanys_session: await sessionFor(app, vera.id), lang: 'ru' },
  })
  t.match(page.body, /Кем приходится: (<span translate="no">)?мама/)
  t.match(page.body, 'имя не указано — спросите')
  const waiting = uniquePhone()
  await send(waiting, `${uniquePhone()} мама Алматы`)
  await relay.runOnce()
  t.equal((await jobOf(waiting)).job?.priority, 10, 'queued without flags')
  await send(waiting, '2')
  t.equal((await jobOf(waiting)).priority, 2, 'medical: sooner')
  await relay.runOnce()
  t.equal((await jobOf(waiting)).job?.priority, 2, 'the waiting job follows')

  await send(claimed, '1')
  const { rows } = await app.db.query(
    `SELECT r.flag_elderly, r.priority, (SELECT count(*)::int FROM outbox o WHERE o.request_id = r.id AND o.topic = 'checkins.priority') AS moves
     FROM requests r WHERE r.requester_phone = $1`,
    [claimed],
  )
  t.same(rows[0], { flag_elderly: true, priority: 10, moves: 0 })
})

t.test('keywords: help, status, cancel, language', async (t) => {
  const phone = uniquePhone()
  t.match(await sms(phone, 'ПОМОЩЬ'), /СТАТУС/)
  t.match(await sms(phone, 'КӨМЕК'), /КҮЙ/)
  t.match(await sms(phone, 'help'), /STATUS/)
  t.match(await sms(phone, 'СТАТУС'), /нет/i)
  const created = await sms(phone, '8 702 111 22 33 Асем Павлодар')
  const reference = created.match(/[2-9A-Z]{4}-[2-9A-Z]{4}/)?.[0] as string
  t.match(await sms(phone, 'статус'), new RegExp(`${reference}: ждёт волонтёра`))
  t.match(await sms(phone, 'LANG EN'), /English/)
  t.match(await sms(phone, 'STATUS'), new RegExp(`${reference}: waiting for a volunteer`), 'the choice sticks')
  t.match(await sms(phone, 'ТІЛ'), /қазақша/)
  await sms(phone, 'LANG RU')
  t.match(await sms(phone, '8 702 444 55 66 Ерлан Атырау'), /принята/, 'a new number after a request: another request')
  t.match(await sms(phone, 'ОТМЕНА'), /несколько заявок.*ОТМЕНА/, 'two open: which one?')
  t.match(await sms(phone, `отмена ${reference.toLowerCase()}`), new RegExp(`${reference} отменена`))
  t.match(await sms(phone, 'ОТМЕНА'), /отменена/, 'one left: cancelled')
  t.match(await sms(phone, 'ОТМЕНА'), /Нет открытой/)
  t.match(await sms(phone, '1'), /волонтёр позвонит/, 'a cancelled request takes no needs: the conversation ended')
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

t.test('a conversation idle past the limit keeps what it knew', async (t) => {
  const phone = uniquePhone()
  await sms(phone, 'Привет')
  const relative = uniquePhone()
  await sms(phone, relative)
  await app.db.query("UPDATE sms_conversations SET updated_at = now() - interval '61 minutes' WHERE phone = $1", [phone])
  t.match(await sms(phone, 'Мама'), /сохранили.*городе/, 'says so, and asks only what is missing')
  t.match(await sms(phone, 'Алматы'), /принята/)
  const [request] = await requestsFrom(phone)
  t.match(request, { relative_phone: relative, relative_relation: 'мама', city_key: 'almaty' })

  const other = uniquePhone()
  await sms(other, 'Мама в Астане')
  await app.db.query("UPDATE sms_conversations SET updated_at = now() - interval '61 minutes' WHERE phone = $1", [other])
  t.match(await sms(other, `${uniquePhone()} Тараз`), /принята/, 'another number after a while: its own request')
  t.match((await requestsFrom(other))[0], { relative_city: 'Тараз', relative_relation: null }, 'nothing mixed in from before')
})

t.test('a repeated delivery is processed once and answered the same', async (t) => {
  const phone = uniquePhone()
  await sms(phone, 'Привет')
  const text = `${uniquePhone()} Нурлан Тараз`
  const created = await sms(phone, text, `SM${'e'.repeat(32)}`)
  t.equal(await sms(phone, text, `SM${'e'.repeat(32)}`), created, 'the first reply again')
  const first = await sms(phone, '2', `SM${'f'.repeat(32)}`)
  const again = await sms(phone, '2', `SM${'f'.repeat(32)}`)
  t.equal(again, first)
  t.equal((await requestsFrom(phone)).length, 1)
  const events = await app.db.query(
    "SELECT count(*)::int AS n FROM request_events e JOIN requests r ON r.id = e.request_id WHERE r.requester_phone = $1 AND e.type = 'needs_added'",
    [phone],
  )
  t.equal(events.rows[0].n, 1, 'the needs recorded once')
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
  const joined = await sms(phone, `${relativePhone} Әкем Ақтөбе`)
  t.match(joined, `${reference.slice(0, 4)}-${reference.slice(4)}`, 'the same reference')
  t.match(joined, /қабылданды/, 'told as a new request would be, in Kazakh')
  t.match(await sms(phone, 'БАС ТАРТУ'), /тоқтатылды/)
  const { rows } = await app.db.query(
    'SELECT status, relative_name, relative_other_names, relative_relation FROM requests WHERE reference = $1',
    [reference],
  )
  t.match(
    rows[0],
    { status: 'received', relative_name: 'Папа', relative_other_names: [], relative_relation: 'әкем' },
    'still open for the first requester; "Әкем" is a relation, not another name',
  )
  const left = await app.db.query(
    'SELECT count(*)::int AS n FROM request_requesters q JOIN requests r ON r.id = q.request_id WHERE r.reference = $1',
    [reference],
  )
  t.equal(left.rows[0].n, 1)
})
