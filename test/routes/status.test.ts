import t from 'tap'
import { checkinJobId } from '../../src/queues/checkins.js'
import { requesterStatus } from '../../src/services/status.js'
import { volunteer } from '../accounts-helper.js'
import { requestBody, uniquePhone } from '../helper.js'
import { claim, setup } from '../tasks-helper.js'

const { app, config, boss, submit, checkins } = await setup(t)

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

t.test("after calls: how many, the volunteer's message (never the note or who), the next try", async (t) => {
  // Its own language, so that the claim takes this request and no other test's.
  const vera = await volunteer(app, boss, { languages: ['en'] })
  const phone = uniquePhone()
  const reference = await submit({ requester: { phone, language: 'en' } })
  const url = `/api/v1/requests/${reference}?phone=${encodeURIComponent(phone)}`
  const idOf = async () => (await app.db.query('SELECT id::text FROM requests WHERE reference = $1', [reference])).rows[0].id
  const outcome = async (payload: object) => {
    t.equal((await claim(app, vera.headers)).json().task.reference, reference, 'claimed')
    const res = await app.inject({ method: 'POST', url: `/api/v1/tasks/${reference}/outcome`, headers: vera.headers, payload })
    t.equal(res.statusCode, 200, 'outcome recorded')
  }
  t.match((await app.inject({ url })).json(), { attempts: 0, messageToRequester: null, nextAttemptAt: null })

  await outcome({ outcome: 'no_answer', messageToRequester: 'Не ответили, перезвоним', note: 'Соседка говорит, уехали' })
  const queued = await app.inject({ url })
  t.match(queued.json(), { status: 'queued', attempts: 1, messageToRequester: 'Не ответили, перезвоним' })
  // The first retry delay (20 minutes by default) after the unanswered call, as the job was delayed.
  const { latestOutcome, nextAttemptAt } = queued.json()
  t.equal(Date.parse(nextAttemptAt) - Date.parse(latestOutcome.at), 20 * 60_000, 'the next try: the retry policy')
  for (const secret of ['Соседка', 'Volunteer Vera', vera.phone]) t.notMatch(queued.body, secret, 'no note, no volunteer')
  t.same(
    Object.keys(queued.json()).sort(),
    ['attempts', 'createdAt', 'latestOutcome', 'messageToRequester', 'nextAttemptAt', 'reference', 'status', 'updatedAt'],
    'nothing else',
  )

  // Once the delay is over the request waits for a free volunteer: no time in the past is promised.
  const later = new Date(Date.parse(nextAttemptAt) + 1000)
  t.match(await requesterStatus({ db: app.db, config }, { reference, phone }, later), {
    status: 'queued',
    retrying: true,
    nextAttemptAt: null,
  })

  // A later call without a message: the earlier message no longer stands for the latest news.
  const id = await idOf()
  await checkins.en.getJob(checkinJobId(id)).then((job) => job?.promote())
  await outcome({ outcome: 'busy' })
  const busy = (await app.inject({ url })).json()
  t.match(busy, { status: 'queued', attempts: 2, messageToRequester: null })
  t.equal(Date.parse(busy.nextAttemptAt) - Date.parse(busy.latestOutcome.at), 60 * 60_000, 'the second delay')

  await checkins.en.getJob(checkinJobId(id)).then((job) => job?.promote())
  await outcome({ outcome: 'reached_safe', messageToRequester: 'Мама дома, всё хорошо' })
  t.match((await app.inject({ url })).json(), {
    status: 'reached_safe',
    attempts: 3,
    messageToRequester: 'Мама дома, всё хорошо',
    nextAttemptAt: null,
    latestOutcome: { outcome: 'reached_safe' },
  })
})

t.test('a released lease requeues at once: no next-try time', async (t) => {
  const vera = await volunteer(app, boss, { languages: ['ru'] })
  const phone = uniquePhone()
  const reference = await submit({ requester: { phone, language: 'ru' } })
  t.equal((await claim(app, vera.headers)).json().task.reference, reference)
  await app.inject({ method: 'POST', url: `/api/v1/tasks/${reference}/release`, headers: vera.headers })
  const res = await app.inject({ url: `/api/v1/requests/${reference}?phone=${encodeURIComponent(phone)}` })
  t.match(res.json(), { status: 'queued', attempts: 0, messageToRequester: null, nextAttemptAt: null, latestOutcome: null })
})
