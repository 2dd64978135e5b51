import t from 'tap'
import { twilioPost } from '../helper.js'
import { visit } from './public-targets.js'
import { fuzzSetup } from './setup.js'

// What the fuzzing found, pinned: each case gave a 500 (or kept invisible text) before issue 10.
const { app, config, session, seeded, rejections } = await fuzzSetup(t)
const [reference = '', other = ''] = seeded.references
const coordinator = { headers: session.headers }
const json = { 'content-type': 'application/json' }

t.test('NUL and integers past 2³¹ in coordinator query strings: 400 APP_ERR_VALIDATION', async (t) => {
  for (const query of [
    'city=a%00b',
    'reference=%00',
    'maxAgeMinutes=2147483648',
    'minAgeMinutes=99999999999',
    'priority=2147483648',
  ]) {
    const res = await app.inject({ url: `/api/v1/requests?${query}`, ...coordinator })
    t.equal(res.statusCode, 400, query)
    t.equal(res.json().code, 'APP_ERR_VALIDATION', query)
  }
  const edge = await app.inject({ url: '/api/v1/requests?maxAgeMinutes=2147483647&city=Алматы', ...coordinator })
  t.equal(edge.statusCode, 200, 'the largest integer still filters')
})

t.test('the dashboard leaves out a filter that breaks its rule, and a bad reference is not found', async (t) => {
  const list = await app.inject({
    url: '/coordinator/requests?city=a%00b&priority=2147483648&state=queued',
    cookies: session.cookies,
  })
  t.equal(list.statusCode, 200)
  const one = await app.inject({ url: '/coordinator/requests/%00', cookies: session.cookies })
  t.equal(one.statusCode, 404)
})

t.test('NUL in path parameters: 400 APP_ERR_VALIDATION', async (t) => {
  for (const url of ['/api/v1/requests/%00?phone=87011234567', `/api/v1/tasks/${reference}%00`]) {
    const res = await app.inject({ url, headers: url.includes('tasks') ? session.volunteer : {} })
    t.equal(res.statusCode, 400, url)
    t.equal(res.json().code, 'APP_ERR_VALIDATION', url)
  }
})

t.test('signed Twilio callbacks: numbers past the column are dropped, garbage strings get a 400', async (t) => {
  const [notification = ''] = seeded.notifications
  const [attempt = '', otherAttempt = ''] = seeded.attempts
  const status = (params: Record<string, string>) =>
    twilioPost(app, config, `/twilio/status?notification=${notification}`, params)
  const errorCode = async () =>
    (await app.db.query('SELECT error_code FROM notifications WHERE id = $1', [notification])).rows[0]?.error_code
  t.equal((await status({ MessageSid: 'SMa1', MessageStatus: 'sent', ErrorCode: '2147483648' })).statusCode, 204)
  t.equal(await errorCode(), null, 'an ErrorCode past integer is not stored')
  await app.db.query("UPDATE notifications SET status = 'pending' WHERE id = $1", [notification])
  t.equal((await status({ MessageSid: 'SMa1', MessageStatus: 'failed', ErrorCode: '30003' })).statusCode, 204)
  t.equal(await errorCode(), 30003, 'a real one is')

  const bridge = (params: Record<string, string>, id = attempt) =>
    twilioPost(app, config, `/twilio/bridge/status?attempt=${id}`, params)
  t.equal((await bridge({ CallSid: 'CAone', CallStatus: 'completed', CallDuration: '99999999999' })).statusCode, 204)
  const other = await bridge({ CallSid: 'CAone', CallStatus: 'completed' }, otherAttempt)
  t.equal(other.statusCode, 204, other.body)
  const { rows } = await app.db.query('SELECT id::text, call_sid, call_duration FROM attempts WHERE id = ANY($1) ORDER BY id', [
    [attempt, otherAttempt],
  ])
  t.same(
    rows.map((r) => [r.call_sid, r.call_duration]),
    [
      ['CAone', null],
      [null, null],
    ],
  )

  const garbage = await twilioPost(app, config, '/twilio/sms', { MessageSid: 'SM\u0000', From: '+77015550101', Body: 'x' })
  t.equal(garbage.statusCode, 400)
  t.equal(garbage.json().code, 'APP_ERR_VALIDATION')
})

t.test('a login with NUL: 400 from the API, a wrong login on the page, never a 500', async (t) => {
  const api = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: 'a\u0000@b.kz', password: 'x' } })
  t.equal(api.statusCode, 400)
  t.equal(api.json().code, 'APP_ERR_VALIDATION')
  const page = await visit(app, '/volunteer/login')
  const res = await app.inject({
    method: 'POST',
    url: '/volunteer/login',
    cookies: page.cookies,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: page.token, login: '@\u0000', password: 'correct horse battery' }).toString(),
  })
  t.equal(res.statusCode, 401)
})

t.test('repeated form fields (arrays once parsed): the first value is read, never a 500', async (t) => {
  const page = await visit(app, '/status')
  const res = await app.inject({
    method: 'POST',
    url: '/status',
    cookies: page.cookies,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `_csrf=${encodeURIComponent(page.token)}&ref=${reference}&ref=x&phone=${encodeURIComponent(seeded.phones[0] ?? '')}`,
  })
  t.equal(res.statusCode, 200, 'found by the first ref')
})

t.test('invisible names are refused; bidi controls are stripped from names, city and notes', async (t) => {
  const body = (relative: object) => ({
    requester: { name: 'Айгуль', phone: '+77015550111', language: 'kk', notifyVia: 'sms' },
    relative: { name: 'Сауле', phone: '+77015550112', city: 'Алматы', ...relative },
    consent: true,
  })
  for (const name of ['\u200B\u200B', '\u202E', '\u3164']) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/requests', headers: json, payload: body({ name }) })
    t.equal(res.statusCode, 400, JSON.stringify(name))
    t.equal(res.json().code, 'APP_ERR_VALIDATION')
    t.equal(res.json().errors[0].path, 'relative.name')
  }
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/requests',
    headers: json,
    payload: body({ name: '\u202EСәуле', city: 'Алматы\u2066', notes: 'кв. 12\u202E' }),
  })
  t.equal(res.statusCode, 201)
  const { rows } = await app.db.query('SELECT relative_name, relative_city, relative_notes FROM requests WHERE reference = $1', [
    res.json().reference,
  ])
  t.same(rows[0], { relative_name: 'Сәуле', relative_city: 'Алматы', relative_notes: 'кв. 12' })
})

t.test("an email that is another account's: 409 APP_ERR_ACCOUNT_EXISTS", async (t) => {
  const h = { ...session.headers, ...json }
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/volunteers',
    headers: h,
    payload: {
      name: 'Ерлан',
      phone: '+77015550177',
      email: 'erlan@example.kz',
      languages: ['kk'],
      password: 'correct horse battery',
    },
  })
  t.equal(created.statusCode, 201)
  const res = await app.inject({
    method: 'PATCH',
    url: `/api/v1/volunteers/${session.volunteerId}`,
    headers: h,
    payload: { email: 'erlan@example.kz' },
  })
  t.equal(res.statusCode, 409)
  t.equal(res.json().code, 'APP_ERR_ACCOUNT_EXISTS')
})

t.test('no unhandled rejection', async (t) => {
  t.not(reference, other)
  t.same(rejections, [])
})
