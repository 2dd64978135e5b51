import t from 'tap'
import { build, requestBody, uniquePhone } from '../helper.js'

const { app } = await build(t)

async function count(table: string) {
  const { rows } = await app.db.query(`SELECT count(*)::int AS n FROM ${table}`)
  return rows[0].n as number
}

function post(payload: unknown, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: '/api/v1/requests', payload: payload as object, headers })
}

t.test('a valid request is committed with its event and outbox row', async (t) => {
  const body = requestBody({ relative: { phone: '8 702 555 11 22', city: 'Алма-Ата', notes: 'lives alone' } })
  const res = await post(body)
  t.equal(res.statusCode, 201)
  const json = res.json()
  t.match(json, { reference: /^[2-9A-HJKMNP-Z]{8}$/, status: 'received' })
  t.equal(json.statusUrl, `http://localhost:3000/status?ref=${json.reference}`)
  const { rows } = await app.db.query('SELECT * FROM requests WHERE reference = $1', [json.reference])
  t.match(rows[0], {
    relative_phone: '+77025551122',
    requester_phone: body.requester.phone,
    city_key: 'almaty',
    flag_elderly: true,
    priority: 4,
    relative_notes: 'lives alone',
    status: 'received',
  })
  const events = await app.db.query('SELECT type, actor_type FROM request_events WHERE request_id = $1', [rows[0].id])
  t.same(events.rows, [{ type: 'received', actor_type: 'requester' }])
  const outbox = await app.db.query('SELECT topic, sent_at FROM outbox WHERE request_id = $1 ORDER BY topic', [rows[0].id])
  t.same(outbox.rows, [
    { topic: 'checkins.enqueue', sent_at: null },
    { topic: 'notify.send', sent_at: null },
  ])
  const notes = await app.db.query('SELECT kind, channel, language, to_phone, status FROM notifications WHERE request_id = $1', [
    rows[0].id,
  ])
  t.same(notes.rows, [{ kind: 'received', channel: 'sms', language: 'kk', to_phone: body.requester.phone, status: 'pending' }])
})

t.test('every bad field is named, and nothing is written', async (t) => {
  const before = [await count('requests'), await count('request_events'), await count('outbox')]
  const cases: [string, unknown, string[]][] = [
    ['missing requester name', requestBody({ requester: { name: undefined } }), ['requester.name']],
    ['blank requester name', requestBody({ requester: { name: '   ' } }), ['requester.name']],
    ['long name', requestBody({ relative: { name: 'x'.repeat(101) } }), ['relative.name']],
    ['control characters', requestBody({ relative: { name: 'Мама\u0000' } }), ['relative.name']],
    ['bad requester phone', requestBody({ requester: { phone: '12345' } }), ['requester.phone']],
    ['bad relative phone', requestBody({ relative: { phone: 'call me' } }), ['relative.phone']],
    ['bad alt phone', requestBody({ relative: { altPhone: '+7 800 123 45 67' } }), ['relative.altPhone']],
    ['phone not a string', requestBody({ relative: { phone: 87011234567 } }), ['relative.phone']],
    ['landline for SMS', requestBody({ requester: { phone: '8 727 250 12 34', notifyVia: 'sms' } }), ['requester.phone']],
    ['language', requestBody({ requester: { language: 'de' } }), ['requester.language']],
    ['notifyVia', requestBody({ requester: { notifyVia: 'email' } }), ['requester.notifyVia']],
    ['missing city', requestBody({ relative: { city: undefined } }), ['relative.city']],
    ['long address', requestBody({ relative: { address: 'a'.repeat(301) } }), ['relative.address']],
    ['long notes', requestBody({ relative: { notes: 'n'.repeat(1001) } }), ['relative.notes']],
    ['flag not boolean', requestBody({ flags: { medical: 'yes' } }), ['flags.medical']],
    ['consent false', requestBody({ consent: false }), ['consent']],
    ['consent missing', requestBody({ consent: undefined }), ['consent']],
    ['unknown field', { ...requestBody(), extra: 1 }, ['extra']],
    ['unknown nested field', requestBody({ relative: { age: 80 } }), ['relative.age']],
    ['missing relative', { ...requestBody(), relative: undefined }, ['relative']],
    [
      'several at once',
      requestBody({ requester: { phone: 'x', language: 'xx' }, relative: { name: '' } }),
      ['requester.phone', 'requester.language', 'relative.name'],
    ],
  ]
  for (const [name, payload, paths] of cases) {
    const res = await post(payload)
    t.equal(res.statusCode, 400, name)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${name}: problem+json`)
    const problem = res.json()
    t.equal(problem.code, 'APP_ERR_VALIDATION', `${name}: code`)
    t.same(problem.errors.map((e: { path: string }) => e.path).sort(), [...paths].sort(), `${name}: paths`)
    t.ok(
      problem.errors.every((e: { message: string }) => e.message.length > 0),
      `${name}: messages`,
    )
  }
  t.same([await count('requests'), await count('request_events'), await count('outbox')], before, 'no row written')
})

t.test('a landline is fine when the requester wants a call', async (t) => {
  const res = await post(requestBody({ requester: { phone: '8 727 250 12 34', notifyVia: 'voice' } }))
  t.equal(res.statusCode, 201)
})

t.test('wrong content type, size or syntax is a clear 4xx', async (t) => {
  const form = await app.inject({
    method: 'POST',
    url: '/api/v1/requests',
    payload: 'a=b',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  })
  t.equal(form.statusCode, 415)
  t.equal(form.json().code, 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
  const big = await post({ ...requestBody(), relative: { ...requestBody().relative, notes: 'x'.repeat(17 * 1024) } })
  t.equal(big.statusCode, 413)
  t.equal(big.headers['content-type'], 'application/problem+json; charset=utf-8')
  const broken = await app.inject({
    method: 'POST',
    url: '/api/v1/requests',
    payload: '{"requester":',
    headers: { 'content-type': 'application/json' },
  })
  t.equal(broken.statusCode, 400)
  t.equal(broken.headers['content-type'], 'application/problem+json; charset=utf-8')
  const empty = await app.inject({ method: 'POST', url: '/api/v1/requests', headers: { 'content-type': 'application/json' } })
  t.equal(empty.statusCode, 400)
  const array = await post([1, 2])
  t.equal(array.statusCode, 400)
})

t.test('the same requester and relative while open get the same request back', async (t) => {
  const body = requestBody()
  const first = await post(body)
  t.equal(first.statusCode, 201)
  // The same people written differently are the same people.
  const again = await post({
    ...body,
    requester: { ...body.requester, phone: body.requester.phone.replace('+7', '8 ') },
    relative: { ...body.relative, name: 'Мама' },
  })
  t.equal(again.statusCode, 200)
  t.equal(again.json().reference, first.json().reference)
  const { rows } = await app.db.query('SELECT count(*)::int AS n FROM requests WHERE requester_phone = $1', [
    body.requester.phone,
  ])
  t.equal(rows[0].n, 1)

  const otherRelative = await post({ ...body, relative: { ...body.relative, phone: uniquePhone() } })
  t.equal(otherRelative.statusCode, 201, 'another relative is another request')
  t.not(otherRelative.json().reference, first.json().reference)

  await app.db.query("UPDATE requests SET status = 'reached_safe' WHERE reference = $1", [first.json().reference])
  const afterClose = await post(body)
  t.equal(afterClose.statusCode, 201, 'once closed, asking again opens a new request')
})

t.test('concurrent identical requests make one request', async (t) => {
  const body = requestBody()
  const results = await Promise.all(Array.from({ length: 8 }, () => post(body)))
  const refs = new Set(results.map((r) => r.json().reference))
  t.equal(refs.size, 1)
  t.same(results.map((r) => r.statusCode).sort(), [200, 200, 200, 200, 200, 200, 200, 201])
})

t.test('Idempotency-Key makes retries safe', async (t) => {
  const body = requestBody()
  const key = `key-${Date.now()}-${Math.random()}`
  const first = await post(body, { 'idempotency-key': key })
  t.equal(first.statusCode, 201)
  const retry = await post(body, { 'idempotency-key': key })
  t.equal(retry.statusCode, 201, 'a retry gets the first answer, status included')
  t.equal(retry.json().reference, first.json().reference)

  const other = await post(requestBody(), { 'idempotency-key': key })
  t.equal(other.statusCode, 422)
  t.equal(other.json().code, 'APP_ERR_IDEMPOTENCY_KEY_REUSED')

  const bad = await post(requestBody(), { 'idempotency-key': 'not ok\u00e9' })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().code, 'APP_ERR_INVALID_IDEMPOTENCY_KEY')

  const body2 = requestBody()
  const key2 = `key2-${Date.now()}`
  const burst = await Promise.all(Array.from({ length: 5 }, () => post(body2, { 'idempotency-key': key2 })))
  t.same(new Set(burst.map((r) => r.json().reference)).size, 1, 'concurrent retries share one request')
  t.same(
    burst.map((r) => r.statusCode),
    [201, 201, 201, 201, 201],
  )
  const { rows } = await app.db.query('SELECT count(*)::int AS n FROM requests WHERE requester_phone = $1', [
    body2.requester.phone,
  ])
  t.equal(rows[0].n, 1)
})

t.test('validation failures with an Idempotency-Key do not burn the key', async (t) => {
  const key = `key3-${Date.now()}`
  const bad = await post(requestBody({ consent: false }), { 'idempotency-key': key })
  t.equal(bad.statusCode, 400)
  const good = await post(requestBody(), { 'idempotency-key': key })
  t.equal(good.statusCode, 201)
})

t.test('two siblings asking about the same mother share one request', async (t) => {
  const mother = { name: 'Сауле', phone: '8 705 321 00 11', city: 'Алматы', notes: 'heart' }
  const first = await post(requestBody({ requester: { language: 'ru' }, relative: mother, flags: { elderly: true } }))
  t.equal(first.statusCode, 201)
  const siblingBody = requestBody({
    requester: { name: 'Dana', language: 'en', notifyVia: 'voice' },
    relative: {
      ...mother,
      name: 'Mom',
      phone: '+7 705 321 00 11',
      notes: 'heart problems, lives on the 5th floor',
      address: 'Abay 10',
    },
    flags: { elderly: false, medical: true },
  })
  const sibling = await post(siblingBody)
  t.equal(sibling.statusCode, 200)
  t.match(sibling.json(), { reference: first.json().reference, linked: true })
  const { rows } = await app.db.query('SELECT * FROM requests WHERE reference = $1', [first.json().reference])
  t.match(rows[0], {
    relative_name: 'Сауле',
    relative_other_names: ['Mom'],
    relative_notes: 'heart problems, lives on the 5th floor',
    relative_address: 'Abay 10',
    flag_elderly: true,
    flag_medical: true,
    priority: 1,
  })
  const requesters = await app.db.query(
    'SELECT phone, language, notify_via FROM request_requesters WHERE request_id = $1 ORDER BY created_at',
    [rows[0].id],
  )
  t.same(
    requesters.rows.map((r) => [r.language, r.notify_via]),
    [
      ['ru', 'sms'],
      ['en', 'voice'],
    ],
  )
  const notes = await app.db.query('SELECT to_phone, language, channel FROM notifications WHERE request_id = $1 ORDER BY id', [
    rows[0].id,
  ])
  t.same(
    notes.rows.map((n) => [n.language, n.channel]),
    [
      ['ru', 'sms'],
      ['en', 'voice'],
    ],
    'each told "received" their own way',
  )
  const status = await app.inject({
    url: `/api/v1/requests/${first.json().reference}?phone=${encodeURIComponent(siblingBody.requester.phone)}`,
  })
  t.equal(status.statusCode, 200, 'the sibling can follow the request with their own phone')
  const again = await post(siblingBody)
  t.match(again.json(), { reference: first.json().reference, linked: false })
  t.equal(again.statusCode, 200)
  const events = await app.db.query(
    "SELECT count(*)::int AS n FROM request_events WHERE request_id = $1 AND type = 'requester_linked'",
    [rows[0].id],
  )
  t.equal(events.rows[0].n, 1)
})
