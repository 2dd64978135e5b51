/**
 * The voice line end to end: signed webhooks as Twilio posts them, the TwiML parsed as XML at
 * every step in kk, ru and en, the request made through the intake, the reference SMS reaching
 * the fake Twilio, the recordings played under the lease and deleted at Twilio by the purge.
 */
import { pino } from 'pino'
import t from 'tap'
import { FAKE_AUDIO } from '../../../dev/fake-twilio/recordings.js'
import { message } from '../../../src/domain/messages/index.js'
import { formatReference } from '../../../src/domain/reference.js'
import type { Language } from '../../../src/domain/request-states.js'
import { createTwilioClient } from '../../../src/twilio/client.js'
import { runMaintenance } from '../../../workers/maintenance.js'
import { coordinator, volunteer } from '../../accounts-helper.js'
import { twilioPost, uniquePhone, waitFor } from '../../helper.js'
import { stack } from '../../twilio-helper.js'
import { Caller, expected } from './voice-helper.js'

const env = await stack(t, { RATE_LIMIT_PER_PHONE_PER_HOUR: 3 })
const { app, config, fake } = env
const twilio = createTwilioClient(config)
const boss = await coordinator(app)

const languageMenu = [...expected('kk', ['voice.languageOption']), ...expected('ru', ['voice.languageOption'])].concat(
  expected('en', ['voice.languageOption']),
)
/** A relative's number as a person types it ("8 701 …"), and as stored. */
function relative() {
  const e164 = uniquePhone()
  return { typed: `8${e164.slice(2)}`, e164 }
}
const requestsOf = async (phone: string) =>
  (
    await app.db.query(
      `SELECT id::text, reference, status, source, requester_language, notify_via, relative_phone, relative_name, relative_city,
              flag_elderly, flag_medical, priority FROM requests WHERE requester_phone = $1 ORDER BY id`,
      [phone],
    )
  ).rows
const recordingsOf = async (requestId: string) =>
  (await app.db.query('SELECT kind, recording_sid AS sid FROM voice_recordings WHERE request_id = $1 ORDER BY id', [requestId]))
    .rows

/** Dials and answers up to the place menu (`first`: the language, or 1 at the menu of a known caller). */
async function toPlace(from: string, first: string) {
  const caller = new Caller(env, from)
  await caller.dial()
  await caller.press(first)
  const rel = relative()
  await caller.press(rel.typed)
  await caller.press('1')
  return { caller, rel }
}

const calls: Record<Language, { from: string; reference: string; requestId: string }> = {} as never

t.test('a whole call in each language: one request, the reference read twice and sent by SMS', async (t) => {
  for (const [language, key] of [
    ['kk', '1'],
    ['ru', '2'],
    ['en', '3'],
  ] as const) {
    const from = uniquePhone()
    const caller = new Caller(env, from)
    let h = await caller.dial()
    t.same(h.speech, languageMenu, `${language}: the menu says each option in its own language`)
    t.match(h.gather, { input: 'dtmf', numDigits: '1', method: 'POST' })
    t.match(h.action, `${config.PUBLIC_BASE_URL}/twilio/voice/step?turn=0`)
    h = await caller.press(key)
    t.same(h.speech, expected(language, ['voice.phone']), `${language}: the relative's number`)
    t.match(h.gather, { finishOnKey: '#' })
    const rel = relative()
    h = await caller.press(rel.typed)
    t.same(h.speech, expected(language, ['voice.youEntered', { spell: rel.typed }, 'voice.confirm']), `${language}: read back`)
    h = await caller.press('1')
    t.same(h.speech, expected(language, ['voice.place']), `${language}: the place menu`)
    if (language === 'kk') {
      h = await caller.press('9')
      t.same(h.speech, expected(language, ['voice.placeRecord']), 'kk: another place is recorded')
      t.match(h, { listen: 'record', record: { maxLength: '30', finishOnKey: '#', playBeep: 'true' } })
      await caller.record()
    } else {
      h = await caller.press(language === 'ru' ? '2' : '5')
    }
    t.same(caller.heard?.speech, expected(language, ['voice.name']), `${language}: the name is recorded`)
    t.equal(caller.heard?.listen, 'record')
    // The number and the place are confirmed: the request exists already.
    const [made, ...more] = await requestsOf(from)
    t.same(more, [], `${language}: one request`)
    t.match(made, {
      source: 'voice',
      requester_language: language,
      notify_via: 'sms',
      relative_phone: rel.e164,
      relative_name: null,
      relative_city: { kk: null, ru: 'Астана', en: 'Karaganda' }[language],
    })
    await caller.record()
    t.same(caller.heard?.speech, expected(language, ['voice.needs']), `${language}: urgent needs`)
    h = await caller.press('12')
    const ref = made.reference as string
    const spelled = [{ spell: ref.slice(0, 4) }, { spell: ref.slice(4) }]
    t.same(
      h.speech,
      expected(language, [
        'voice.reference',
        ...spelled,
        'voice.referenceAgain',
        ...spelled,
        'voice.smsSent',
        'voice.received',
        'voice.goodbye',
      ]),
      `${language}: the reference, twice`,
    )
    t.equal(h.listen, 'hangup')
    const [after] = await requestsOf(from)
    t.match(after, { flag_elderly: true, flag_medical: true, priority: 1 }, `${language}: needs raise the priority`)
    t.same(
      (await recordingsOf(made.id)).map((r) => r.kind),
      language === 'kk' ? ['place', 'name'] : ['name'],
    )
    const sms = await waitFor(`${language}: the reference SMS`, async () => fake.messages.find((m) => m.params.To === from))
    t.equal(sms.params.Body, message(language, 'notify.received', { reference: formatReference(ref) }))
    calls[language] = { from, reference: ref, requestId: made.id }
    if (language === 'kk') {
      t.ok(h.audioUrls.length > 0)
      for (const url of new Set(h.audioUrls)) {
        const res = await app.inject({ url: new URL(url).pathname })
        t.equal(res.statusCode, 200, `${new URL(url).pathname} is served`)
        t.match(res.headers['content-type'], /^audio\/mpeg/)
      }
    }
  }
})

t.test('Twilio retrying a webhook changes nothing: each answer counts once, one request per call', async (t) => {
  const from = uniquePhone()
  const caller = new Caller(env, from)
  const first = await caller.dial()
  t.same(await caller.dial(), first, 'a retried first webhook hears the same question')
  await caller.press('2')
  const retried = await caller.press('3', '/twilio/voice/step?turn=0')
  t.same(retried.speech, expected('ru', ['voice.phone']), 'a late answer to turn 0 hears the current question')
  t.match(retried.action, /turn=1$/)
  const rel = relative()
  await caller.press(rel.typed)
  await caller.press('1')
  const place = caller.actionPath
  const answers = await Promise.all([1, 2, 3].map(() => caller.press('1', place)))
  for (const h of answers) t.same(h.speech, expected('ru', ['voice.name']))
  await caller.press('1', place)
  const made = await requestsOf(from)
  t.equal(made.length, 1, 'one request')
  await caller.record()
  const needs = caller.actionPath
  await caller.press('3', needs)
  await caller.press('3', needs)
  const { rows } = await app.db.query(
    `SELECT (SELECT count(*)::int FROM request_events WHERE request_id = $1 AND type IN ('received', 'needs_added')) AS events,
            (SELECT count(*)::int FROM notifications WHERE request_id = $1) AS notifications`,
    [made[0].id],
  )
  t.same(rows[0], { events: 2, notifications: 1 })

  // A second call about the same relative hears the reference it already has; no second SMS.
  const second = new Caller(env, from)
  await second.dial()
  await second.press('1')
  await second.press(rel.typed)
  await second.press('1')
  await second.press('1')
  await second.silence()
  await second.silence()
  await second.silence()
  const h = await second.press('#')
  const ref = made[0].reference
  t.same(h.speech.slice(0, 3), expected('ru', ['voice.alreadyOpen', { spell: ref.slice(0, 4) }, { spell: ref.slice(4) }]))
  t.notOk(h.speech.includes(expected('ru', ['voice.smsSent'])[0] as string))
})

t.test('silence and wrong keys: asked again twice, then goodbye with the SMS alternative', async (t) => {
  const caller = new Caller(env, uniquePhone())
  await caller.dial()
  t.same((await caller.press('7')).speech, languageMenu, 'no language yet: the menu itself asks again')
  t.same((await caller.silence()).speech, languageMenu)
  const end = await caller.silence()
  t.same(end.speech, [
    ...expected('kk', ['voice.giveUp']),
    ...expected('ru', ['voice.giveUp']),
    ...expected('en', ['voice.giveUp']),
  ])
  t.equal(end.listen, 'hangup')
  t.same(await caller.press('1', '/twilio/voice/step?turn=3'), end, 'after the goodbye, nothing moves')

  const en = new Caller(env, uniquePhone())
  await en.dial()
  await en.press('3')
  t.same((await en.press('123')).speech, expected('en', ['voice.badPhone', 'voice.phone']))
  t.same((await en.silence()).speech, expected('en', ['voice.notUnderstood', 'voice.phone']))
  const bye = await en.press('99999')
  t.same(bye.speech, expected('en', ['voice.giveUp']))
  t.same(await requestsOf(en.from), [], 'no request without a confirmed number and place')

  // After the request exists, an optional step that gets no answer is skipped, not the call.
  const { caller: late } = await toPlace(uniquePhone(), '3')
  await late.press('4')
  t.same((await late.silence()).speech, expected('en', ['voice.notUnderstood', 'voice.name']))
  await late.silence()
  t.same((await late.silence()).speech, expected('en', ['voice.needs']), 'no name: on to the needs')
  t.equal((await requestsOf(late.from)).length, 1)
})

t.test('a withheld caller ID: the callback number is asked for by keypad', async (t) => {
  for (const from of ['anonymous', '+266696687', '']) {
    const caller = new Caller(env, from)
    await caller.dial()
    t.same((await caller.press('3')).speech, expected('en', ['voice.callback']), `"${from}": asked for a number`)
  }
  const caller = new Caller(env, 'anonymous')
  await caller.dial()
  await caller.press('2')
  const back = relative()
  t.same((await caller.press(back.typed)).speech, expected('ru', ['voice.youEntered', { spell: back.typed }, 'voice.confirm']))
  t.same((await caller.press('1')).speech, expected('ru', ['voice.phone']))
  const rel = relative()
  await caller.press(rel.typed)
  await caller.press('1')
  await caller.press('1')
  t.match(await requestsOf(back.e164), [{ relative_phone: rel.e164, notify_via: 'sms', relative_city: 'Алматы' }])
})

t.test('a landline caller hears the reference and is not called back just to hear it again', async (t) => {
  const from = `+7727250${String(Date.now() % 10_000).padStart(4, '0')}`
  const { caller } = await toPlace(from, '2')
  await caller.press('3')
  await caller.record()
  const h = await caller.press('#')
  t.notOk(h.speech.includes(expected('ru', ['voice.smsSent'])[0] as string), 'no SMS promised')
  const [made] = await requestsOf(from)
  t.match(made, { notify_via: 'voice' })
  const { rows } = await app.db.query('SELECT kind, channel, status FROM notifications WHERE request_id = $1', [made.id])
  t.same(rows, [{ kind: 'received', channel: 'voice', status: 'suppressed' }])
})

t.test('the recordings play for the volunteer holding the lease only, audited, never cached', async (t) => {
  const kk = calls.kk
  await waitFor('the kk request queued', async () => (await requestsOf(kk.from))[0]?.status === 'queued')
  const holder = await volunteer(app, boss, { languages: ['kk'] })
  const other = await volunteer(app, boss, { languages: ['kk'] })
  const pending = await volunteer(app, boss, { languages: ['kk'], approve: false })
  const claim = await app.inject({ method: 'POST', url: '/api/v1/tasks/claim', headers: holder.headers })
  t.equal(claim.json().task.reference, kk.reference)
  t.same([...claim.json().task.recordings].sort(), ['name', 'place'])
  const url = (kind: string, ref = kk.reference) => `/api/v1/tasks/${ref}/recordings/${kind}`
  const played = await app.inject({ url: url('name'), headers: holder.headers })
  t.equal(played.statusCode, 200)
  t.same(played.rawPayload, FAKE_AUDIO, 'the audio, streamed from Twilio')
  t.match(played.headers, { 'content-type': /^audio\/mpeg/, 'cache-control': 'no-store' })
  t.equal((await app.inject({ url: url('place'), headers: holder.headers })).statusCode, 200)
  const audit = await app.db.query(
    "SELECT account_id::text, data FROM audit_events WHERE action = 'recording.played' AND request_id = $1 ORDER BY id",
    [kk.requestId],
  )
  t.same(audit.rows, [
    { account_id: holder.id, data: { kind: 'name' } },
    { account_id: holder.id, data: { kind: 'place' } },
  ])
  const refused = async (headers: Record<string, string> | undefined, status: number, code: string, u = url('name')) => {
    const res = await app.inject({ url: u, headers })
    t.equal(res.statusCode, status, code)
    t.equal(res.json().code, code)
  }
  await refused(other.headers, 404, 'APP_ERR_TASK_NOT_FOUND')
  await refused(pending.headers, 403, 'APP_ERR_NOT_APPROVED')
  await refused(boss.headers, 403, 'APP_ERR_FORBIDDEN')
  await refused(undefined, 401, 'APP_ERR_UNAUTHENTICATED')
  await refused(holder.headers, 400, 'APP_ERR_VALIDATION', url('voice'))
  await refused(holder.headers, 404, 'APP_ERR_TASK_NOT_FOUND', url('name', 'nope'))
  const page = await app.inject({
    url: `/volunteer/task/${kk.reference}`,
    cookies: { bailanys_session: holder.headers.authorization.slice(7) },
  })
  t.match(page.body, `<audio controls preload="none" src="${url('name')}">`, 'the task card plays it')
  t.match(page.body, message('ru', 'page.volunteer.task.recording.place'))

  // Twilio lost the audio: a clear 502, nothing half-sent.
  const [name] = (await recordingsOf(kk.requestId)).filter((r) => r.kind === 'name')
  await twilio.recordings(name.sid).remove()
  await refused(holder.headers, 502, 'APP_ERR_RECORDING_UNAVAILABLE')
  // The outcome ends the lease: nothing plays any more.
  const message1 = 'Мама дома, всё хорошо'
  const done = await app.inject({
    method: 'POST',
    url: `/api/v1/tasks/${kk.reference}/outcome`,
    headers: holder.headers,
    payload: { outcome: 'reached_safe', messageToRequester: message1 },
  })
  t.equal(done.statusCode, 200)
  await refused(holder.headers, 404, 'APP_ERR_TASK_NOT_FOUND', url('place'))

  // A request with no place recording (the ru caller chose Astana).
  const ru = await volunteer(app, boss, { languages: ['ru'] })
  await waitFor('the ru request queued', async () => (await requestsOf(calls.ru.from))[0]?.status === 'queued')
  let task = await app.inject({ method: 'POST', url: '/api/v1/tasks/claim', headers: ru.headers })
  while (task.json().task.reference !== calls.ru.reference) {
    await app.inject({
      method: 'POST',
      url: `/api/v1/tasks/${task.json().task.reference}/outcome`,
      headers: ru.headers,
      payload: { outcome: 'wrong_number' },
    })
    task = await app.inject({ method: 'POST', url: '/api/v1/tasks/claim', headers: ru.headers })
  }
  await refused(ru.headers, 404, 'APP_ERR_RECORDING_NOT_FOUND', url('place', calls.ru.reference))
})

t.test('the status line: a caller with requests hears each, with the volunteer message', async (t) => {
  const caller = new Caller(env, calls.kk.from)
  let h = await caller.dial()
  t.same(h.speech, expected('kk', ['voice.menu', 'voice.menuStatus']), 'the remembered language; 0 is offered')
  h = await caller.press('0')
  const ref = calls.kk.reference
  t.same(
    h.speech,
    expected('kk', [
      'voice.statusItem',
      { spell: ref.slice(0, 4) },
      { spell: ref.slice(4) },
      'voice.state.reached_safe',
      'voice.volunteerMessage',
      { say: 'Мама дома, всё хорошо' },
      'voice.menu',
      'voice.menuStatus',
    ]),
    "the state, and the volunteer's message read by the Russian voice",
  )
  t.same((await caller.press('9')).speech, languageMenu, '9 changes the language')
  const fresh = new Caller(env, uniquePhone())
  t.same((await fresh.dial()).speech, languageMenu, 'a caller without requests starts at the language menu')
})

t.test('too many requests from one number in an hour: a clear goodbye', async (t) => {
  const from = uniquePhone()
  // The first call picks English; the next ones start at the menu in it (1: a new request).
  const place = async (first: string) => (await toPlace(from, first)).caller.press('1')
  for (const first of ['3', '1', '1']) t.same((await place(first)).speech, expected('en', ['voice.name']))
  t.same((await place('1')).speech, expected('en', ['voice.limited']))
  t.equal((await requestsOf(from)).length, 3)
})

t.test('the retention purge deletes the recordings at Twilio, once', async (t) => {
  await app.db.query("UPDATE requests SET closed_at = now() - interval '60 days' WHERE id = $1", [calls.kk.requestId])
  const sids = (await recordingsOf(calls.kk.requestId)).map((r) => r.sid as string)
  const deletes = () => fake.requests.filter((r) => r.method === 'DELETE').map((r) => `${r.url.split('/').pop()} ${r.status}`)
  const before = deletes()
  const deps = { config, db: app.db, log: pino({ level: 'silent' }), twilio }
  t.same(await runMaintenance(deps), { purged: 1 })
  t.same(deletes().slice(before.length).sort(), sids.map((sid) => `${sid}.json ${sid === sids[0] ? 204 : 404}`).sort())
  const { rows } = await app.db.query(
    'SELECT count(*)::int AS n FROM voice_recordings WHERE request_id = $1 AND deleted_at IS NULL',
    [calls.kk.requestId],
  )
  t.equal(rows[0].n, 0, 'both marked deleted (one was gone already: 404)')
  await runMaintenance(deps)
  t.equal(deletes().length, before.length + sids.length, 'a second run deletes nothing again')
})

t.test('bad input gets a clear 4xx', async (t) => {
  const sid = `CA${'9'.repeat(32)}`
  const cases: [string, Record<string, string>, number, string][] = [
    ['/twilio/voice/step', { CallSid: sid, Digits: '1' }, 400, 'APP_ERR_VALIDATION'],
    ['/twilio/voice/step?turn=-1', { CallSid: sid, Digits: '1' }, 400, 'APP_ERR_VALIDATION'],
    ['/twilio/voice/step?turn=0', { CallSid: sid, Digits: 'abc' }, 400, 'APP_ERR_VALIDATION'],
    ['/twilio/voice/step?turn=0', { CallSid: sid, RecordingSid: 'REnope' }, 400, 'APP_ERR_VALIDATION'],
    ['/twilio/voice/incoming', { From: '+77015550101' }, 400, 'APP_ERR_VALIDATION'],
  ]
  for (const [url, params, status, code] of cases) {
    const res = await twilioPost(app, config, url, params)
    t.equal(res.statusCode, status, `${url} ${JSON.stringify(params)}`)
    t.equal(res.json().code, code)
  }
  const unsigned = await twilioPost(app, config, '/twilio/voice/incoming', { CallSid: sid, From: '+77015550101' }, 'missing')
  t.equal(unsigned.statusCode, 403)
  t.equal(unsigned.json().code, 'APP_ERR_TWILIO_SIGNATURE')
  const { rows } = await app.db.query('SELECT count(*)::int AS n FROM voice_calls WHERE call_sid = $1', [sid])
  t.equal(rows[0].n, 0, 'nothing stored')
})

t.test('the fallback URL needs no database and offers the SMS alternative in each language', async (t) => {
  const res = await twilioPost(app, config, '/twilio/voice/fallback', { CallSid: `CA${'8'.repeat(32)}` })
  t.equal(res.statusCode, 200)
  t.match(res.body, '<Hangup/>')
  for (const language of ['ru', 'en'] as const) t.match(res.body, message(language, 'voice.giveUp'))
  t.match(res.body, /voice\.giveUp\.mp3/)
})
