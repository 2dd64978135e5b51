import t from 'tap'
import { build, requestBody } from '../helper.js'

const { app } = await build(t)

t.test('the requester sees the status and the latest outcome', async (t) => {
  const body = requestBody()
  const { reference } = (await app.inject({ method: 'POST', url: '/api/v1/requests', payload: body })).json()
  // The requester may type the phone and the reference their own way.
  const url = `/api/v1/requests/${reference.toLowerCase().slice(0, 4)}-${reference.slice(4)}?phone=${encodeURIComponent(body.requester.phone.replace('+7', '8'))}`
  const res = await app.inject({ method: 'GET', url })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { reference, status: 'received', latestOutcome: null, createdAt: String })

  const { rows } = await app.db.query('SELECT id FROM requests WHERE reference = $1', [reference])
  await app.db.query(
    `INSERT INTO request_events (request_id, type, from_status, to_status, actor_type, data)
     VALUES ($1, 'outcome', 'claimed', 'reached_safe', 'volunteer', '{"outcome":"reached_safe"}')`,
    [rows[0].id],
  )
  await app.db.query("UPDATE requests SET status = 'reached_safe' WHERE id = $1", [rows[0].id])
  const after = await app.inject({ method: 'GET', url })
  t.match(after.json(), { status: 'reached_safe', latestOutcome: { outcome: 'reached_safe', at: String } })
})

t.test('a wrong phone looks exactly like an unknown reference', async (t) => {
  const body = requestBody()
  const { reference } = (await app.inject({ method: 'POST', url: '/api/v1/requests', payload: body })).json()
  const wrongPhone = await app.inject({ method: 'GET', url: `/api/v1/requests/${reference}?phone=%2B77770000000` })
  const unknown = await app.inject({
    method: 'GET',
    url: `/api/v1/requests/ZZZZ2222?phone=${encodeURIComponent(body.requester.phone)}`,
  })
  const malformed = await app.inject({
    method: 'GET',
    url: `/api/v1/requests/nope?phone=${encodeURIComponent(body.requester.phone)}`,
  })
  const garbagePhone = await app.inject({ method: 'GET', url: `/api/v1/requests/${reference}?phone=abc` })
  for (const res of [wrongPhone, unknown, malformed, garbagePhone]) {
    t.equal(res.statusCode, 404)
    t.same(res.json(), wrongPhone.json())
  }
  t.equal(wrongPhone.json().code, 'APP_ERR_NOT_FOUND')
})

t.test('the phone is required', async (t) => {
  const res = await app.inject({ method: 'GET', url: '/api/v1/requests/ZZZZ2222' })
  t.equal(res.statusCode, 400)
  t.equal(res.json().code, 'APP_ERR_VALIDATION')
  t.same(
    res.json().errors.map((e: { path: string }) => e.path),
    ['phone'],
  )
})

t.test('unknown routes answer problem+json', async (t) => {
  const res = await app.inject({ method: 'GET', url: '/nowhere?phone=123' })
  t.equal(res.statusCode, 404)
  t.equal(res.json().code, 'APP_ERR_ROUTE_NOT_FOUND')
  t.notMatch(res.body, '123', 'the query string is not echoed')
})
