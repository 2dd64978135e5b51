import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { createFakeTwilio } from '../dev/fake-twilio/server.js'
import { coordinator, volunteer } from './accounts-helper.js'
import { build, requestBody, uniquePhone } from './helper.js'
import { relayFor } from './relay-helper.js'

/**
 * Refusals provoked through HTTP, each asserted by its code (test/error-codes.test.ts checks that
 * every code in src/errors.ts is asserted somewhere). Each also checks that nothing changed.
 */
const { app } = await build(t)
const boss = await coordinator(app)

/** A refusal: its status, its code, as problem+json. */
function refused(t: Test, res: LightMyRequestResponse, status: number, code: string, what = code) {
  t.equal(res.statusCode, status, `${what}: status`)
  t.equal(res.json().code, code, `${what}: code`)
  t.match(res.headers['content-type'], 'application/problem+json', `${what}: problem+json`)
}

const post = (url: string, payload?: object, headers = boss.headers) => app.inject({ method: 'POST', url, headers, payload })
async function submit(overrides: Parameters<typeof requestBody>[0] = {}) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/requests', payload: requestBody(overrides) })
  return res.json().reference as string
}
const statusOf = async (reference: string) =>
  (await app.db.query('SELECT status FROM requests WHERE reference = $1', [reference])).rows[0]?.status
const eventCount = async (reference: string) =>
  (
    await app.db.query(
      'SELECT count(*)::int AS n FROM request_events e JOIN requests r ON r.id = e.request_id WHERE r.reference = $1',
      [reference],
    )
  ).rows[0].n

t.test('an action on a request that is not there: 404 APP_ERR_REQUEST_NOT_FOUND', async (t) => {
  const real = await submit()
  for (const ref of ['ZZZZ2222', 'not-a-reference']) {
    refused(
      t,
      await post(`/api/v1/requests/${ref}/priority`, { priority: 1 }),
      404,
      'APP_ERR_REQUEST_NOT_FOUND',
      `priority ${ref}`,
    )
    refused(
      t,
      await post(`/api/v1/requests/${ref}/cancel`, { reason: 'gone' }),
      404,
      'APP_ERR_REQUEST_NOT_FOUND',
      `cancel ${ref}`,
    )
    refused(t, await post(`/api/v1/requests/${ref}/requeue`), 404, 'APP_ERR_REQUEST_NOT_FOUND', `requeue ${ref}`)
    refused(t, await post(`/api/v1/requests/${ref}/merge`, { into: real }), 404, 'APP_ERR_REQUEST_NOT_FOUND', `merge ${ref}`)
    refused(t, await post(`/api/v1/requests/${real}/merge`, { into: ref }), 404, 'APP_ERR_REQUEST_NOT_FOUND', `into ${ref}`)
  }
  refused(t, await post('/api/v1/requests/nope/end-lease'), 404, 'APP_ERR_REQUEST_NOT_FOUND', 'end-lease, malformed')
  t.equal(await statusOf(real), 'received', 'the real one untouched')
  t.equal(await eventCount(real), 1, 'no event but its first')
})

t.test(
  'a closed request cannot be changed: 409 APP_ERR_NOT_OPEN; an open one cannot be requeued: APP_ERR_NOT_CLOSED',
  async (t) => {
    const open = await submit()
    const closed = await submit()
    t.equal((await post(`/api/v1/requests/${closed}/cancel`, { reason: 'found by the family' })).statusCode, 200)
    const events = await eventCount(closed)

    refused(t, await post(`/api/v1/requests/${closed}/cancel`, { reason: 'again' }), 409, 'APP_ERR_NOT_OPEN', 'cancel twice')
    refused(t, await post(`/api/v1/requests/${closed}/priority`, { priority: 1 }), 409, 'APP_ERR_NOT_OPEN', 'priority')
    refused(t, await post(`/api/v1/requests/${closed}/merge`, { into: open }), 409, 'APP_ERR_NOT_OPEN', 'merge a closed one')
    refused(t, await post(`/api/v1/requests/${open}/merge`, { into: closed }), 409, 'APP_ERR_NOT_OPEN', 'merge into a closed one')
    t.equal(await eventCount(closed), events, 'no event written')
    t.equal(await statusOf(open), 'received', 'the open one was not merged')

    refused(t, await post(`/api/v1/requests/${open}/requeue`), 409, 'APP_ERR_NOT_CLOSED', 'requeue an open one')
    t.equal(await statusOf(open), 'received')
  },
)

t.test('requeue while the relative has another open request: 409 APP_ERR_RELATIVE_HAS_OPEN_REQUEST', async (t) => {
  const relativePhone = uniquePhone()
  const first = await submit({ relative: { phone: relativePhone } })
  t.equal((await post(`/api/v1/requests/${first}/cancel`, { reason: 'duplicate by phone' })).statusCode, 200)
  const second = await submit({ relative: { phone: relativePhone } })
  t.not(second, first, 'a new request for the same relative')
  const events = await eventCount(first)

  refused(t, await post(`/api/v1/requests/${first}/requeue`), 409, 'APP_ERR_RELATIVE_HAS_OPEN_REQUEST')
  t.equal(await statusOf(first), 'cancelled', 'the old one stays closed')
  t.equal(await statusOf(second), 'received', 'the open one is untouched')
  t.equal(await eventCount(first), events, 'no event written')
})

t.test('a request merged into itself, however it is typed: 400 APP_ERR_SAME_REQUEST', async (t) => {
  const ref = await submit()
  const typed = `${ref.slice(0, 4).toLowerCase()}-${ref.slice(4)}`
  refused(t, await post(`/api/v1/requests/${ref}/merge`, { into: typed }), 400, 'APP_ERR_SAME_REQUEST')
  t.equal(await statusOf(ref), 'received')
})

t.test('ending a lease nobody holds: 409 APP_ERR_NO_LEASE_TO_END', async (t) => {
  const ref = await submit()
  refused(t, await post(`/api/v1/requests/${ref}/end-lease`), 409, 'APP_ERR_NO_LEASE_TO_END')
  t.equal(await eventCount(ref), 1)
})

t.test('no reference can be drawn: 503 APP_ERR_REFERENCE_EXHAUSTED, and nothing half-written', async (t) => {
  // Its own schema: a trigger there makes every insert of a request come back empty, as when
  // every reference drawn collides. PostgreSQL does it for real; nothing is mocked.
  const { app } = await build(t)
  await app.db.query(`CREATE FUNCTION refuse_requests() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`)
  await app.db.query('CREATE TRIGGER refuse_requests BEFORE INSERT ON requests FOR EACH ROW EXECUTE FUNCTION refuse_requests()')
  const res = await app.inject({ method: 'POST', url: '/api/v1/requests', payload: requestBody() })
  refused(t, res, 503, 'APP_ERR_REFERENCE_EXHAUSTED')
  const { rows } = await app.db.query(
    `SELECT (SELECT count(*) FROM requests)::int AS requests, (SELECT count(*) FROM request_requesters)::int AS requesters,
            (SELECT count(*) FROM outbox)::int AS outbox, (SELECT count(*) FROM notifications)::int AS notifications`,
  )
  t.same(rows[0], { requests: 0, requesters: 0, outbox: 0, notifications: 0 })
})

t.test('the work queue: a task that is not yours, a call Twilio refuses', async (t) => {
  const fake = await createFakeTwilio({ accountSid: `AC${'3'.repeat(32)}`, authToken: 'refusals-token' })
  t.teardown(() => fake.close())
  const { app, config } = await build(t, {
    TWILIO_ACCOUNT_SID: `AC${'3'.repeat(32)}`,
    TWILIO_AUTH_TOKEN: 'refusals-token',
    TWILIO_BASE_URL: fake.url,
    TWILIO_FROM: '+15005550006',
    TWILIO_TIMEOUT_MS: 2000,
  })
  const { relay } = relayFor(t, app, config)
  const boss = await coordinator(app)
  const vera = await volunteer(app, boss)
  const nosy = await volunteer(app, boss)
  await app.inject({ method: 'POST', url: '/api/v1/requests', payload: requestBody() })
  await relay.runOnce()
  const claimed = await app.inject({ method: 'POST', url: '/api/v1/tasks/claim', headers: vera.headers })
  t.equal(claimed.statusCode, 200)
  const ref = claimed.json().task.reference as string

  t.test('404 APP_ERR_TASK_NOT_FOUND: unknown, malformed, or held by someone else (no hint it exists)', async (t) => {
    const unknown = await app.inject({ url: '/api/v1/tasks/ZZZZ2222', headers: vera.headers })
    refused(t, unknown, 404, 'APP_ERR_TASK_NOT_FOUND', 'unknown')
    refused(t, await app.inject({ url: '/api/v1/tasks/nope', headers: vera.headers }), 404, 'APP_ERR_TASK_NOT_FOUND', 'malformed')
    const peek = await app.inject({ url: `/api/v1/tasks/${ref}`, headers: nosy.headers })
    refused(t, peek, 404, 'APP_ERR_TASK_NOT_FOUND', 'another’s task')
    t.same(peek.json(), unknown.json(), 'the same answer as for a task that does not exist')
    const heartbeat = await app.inject({ method: 'POST', url: '/api/v1/tasks/nope/heartbeat', headers: vera.headers })
    refused(t, heartbeat, 404, 'APP_ERR_TASK_NOT_FOUND', 'heartbeat, malformed')
    const reads = await app.db.query('SELECT count(*)::int AS n FROM audit_events WHERE account_id = $1', [nosy.id])
    t.equal(reads.rows[0].n, 0, 'nothing was read, so nothing audited')
  })

  t.test('502 APP_ERR_CALL_FAILED when Twilio refuses the call; the lease is kept', async (t) => {
    fake.failNext({ status: 400, code: 21211, path: 'Calls' })
    const call = await app.inject({ method: 'POST', url: `/api/v1/tasks/${ref}/call`, headers: vera.headers })
    refused(t, call, 502, 'APP_ERR_CALL_FAILED')
    const heartbeat = await app.inject({ method: 'POST', url: `/api/v1/tasks/${ref}/heartbeat`, headers: vera.headers })
    t.equal(heartbeat.statusCode, 200, 'still hers: she can call from her own phone')
    const again = await app.inject({ method: 'POST', url: `/api/v1/tasks/${ref}/call`, headers: vera.headers })
    t.equal(again.statusCode, 202, 'and the next try goes through')
  })
})
