import { XMLParser } from 'fast-xml-parser'
import t from 'tap'
import { coordinator, volunteer } from '../accounts-helper.js'
import { requestBody, uniquePhone, waitFor } from '../helper.js'
import { stack } from '../twilio-helper.js'
import { partner } from './partners-helper.js'

t.test('an unreachable family handed to a search partner → PFIF record → note "found" → closed, requester told', async (t) => {
  const { app, fake } = await stack(t, { MAX_CALL_ATTEMPTS: 1 })
  const boss = await coordinator(app)
  const body = requestBody({
    requester: { language: 'en', notifyVia: 'sms' },
    relative: { name: 'Saule Nurlanova', city: 'Almaty', phone: uniquePhone() },
  })
  const { reference } = (await app.inject({ method: 'POST', url: '/api/v1/requests', payload: body })).json()
  await waitFor('received SMS', async () => fake.messages.length === 1)
  const early = await app.inject({ method: 'POST', url: `/api/v1/requests/${reference}/hand-off`, headers: boss.headers })
  t.equal(early.json().code, 'APP_ERR_NOT_UNREACHABLE', 'only an unreachable request')
  const vera = await volunteer(app, boss, { languages: ['en'] })
  await waitFor(
    'claimed',
    async () => (await app.inject({ method: 'POST', url: '/api/v1/tasks/claim', headers: vera.headers })).statusCode === 200,
  )
  const outcome = await app.inject({
    method: 'POST',
    url: `/api/v1/tasks/${reference}/outcome`,
    headers: vera.headers,
    payload: { outcome: 'no_answer' },
  })
  t.match(outcome.json(), { status: 'unreachable' })
  await waitFor('unreachable SMS', async () => fake.messages.length === 2)

  const none = await app.inject({ method: 'POST', url: `/api/v1/requests/${reference}/hand-off`, headers: boss.headers })
  t.equal(none.json().code, 'APP_ERR_NO_SEARCH_PARTNER', 'no search partner yet: nothing written')
  const aid = await partner(app, boss, { name: 'Aid', categories: ['food'], everywhere: true, languages: ['en'] })
  const search = await partner(app, boss, {
    name: 'Search KZ',
    categories: ['search'],
    everywhere: true,
    languages: ['en', 'ru'],
  })
  const handed = await app.inject({ method: 'POST', url: `/api/v1/requests/${reference}/hand-off`, headers: boss.headers })
  t.equal(handed.statusCode, 201)
  t.match(handed.json(), { state: 'offered', partnerId: search.id })
  const twice = await app.inject({ method: 'POST', url: `/api/v1/requests/${reference}/hand-off`, headers: boss.headers })
  t.equal(twice.json().code, 'APP_ERR_REFERRAL_STATE')
  const id = handed.json().id

  const [found] = (await app.inject({ url: '/api/v1/partner/referrals', headers: search.headers })).json().referrals
  t.match(found, { id, kind: 'search', family: null, categories: ['search'] }, 'no phone: nobody consented')
  const record = await app.inject({ url: `/api/v1/partner/referrals/${id}/pfif`, headers: search.headers })
  t.match(record.headers['content-type'], /application\/xml/)
  const person = new XMLParser().parse(record.body)['pfif:pfif']['pfif:person']
  t.match(person, { 'pfif:full_name': 'Saule Nurlanova', 'pfif:home_city': 'Almaty' }, 'the PFIF 1.4 record')
  t.notOk(record.body.includes(body.relative.phone), 'never a phone')
  const feed = await app.inject({ url: '/api/v1/partner/pfif', headers: search.headers })
  t.match(feed.body, /Saule Nurlanova/)
  const next = String(feed.headers['x-pfif-next-since'])
  const empty = await app.inject({ url: `/api/v1/partner/pfif?since=${encodeURIComponent(next)}`, headers: search.headers })
  t.notMatch(empty.body, /pfif:person/, 'nothing new since')
  t.notMatch((await app.inject({ url: '/api/v1/partner/pfif', headers: aid.headers })).body, /Saule/, "not another partner's")
  const badSince = await app.inject({ url: '/api/v1/partner/pfif?since=yesterday', headers: search.headers })
  t.equal(badSince.json().code, 'APP_ERR_VALIDATION')

  const note = {
    note_record_id: 'search.kz/note.1',
    author_name: 'Search KZ',
    source_date: '2022-01-09T10:00:00Z',
    status: 'believed_alive',
    found: true,
  }
  const notYet = await app.inject({
    method: 'POST',
    url: `/api/v1/partner/referrals/${id}/notes`,
    headers: search.headers,
    payload: note,
  })
  t.equal(notYet.json().code, 'APP_ERR_REFERRAL_STATE', 'accept first')
  await app.inject({ method: 'POST', url: `/api/v1/partner/referrals/${id}/accept`, headers: search.headers })
  const seeking = await app.inject({
    method: 'POST',
    url: `/api/v1/partner/referrals/${id}/notes`,
    headers: search.headers,
    payload: { ...note, note_record_id: 'search.kz/note.0', status: 'information_sought', found: false },
  })
  t.match(seeking.json(), { found: false, closed: false })
  const posted = await app.inject({
    method: 'POST',
    url: `/api/v1/partner/referrals/${id}/notes`,
    headers: search.headers,
    payload: note,
  })
  t.equal(posted.statusCode, 201)
  t.match(posted.json(), { found: true, closed: true })
  const again = await app.inject({
    method: 'POST',
    url: `/api/v1/partner/referrals/${id}/notes`,
    headers: search.headers,
    payload: note,
  })
  t.match(again.json(), { duplicate: true, closed: false }, 'the same note again changes nothing')
  const status = await app.inject({ url: `/api/v1/requests/${reference}?phone=${encodeURIComponent(body.requester.phone)}` })
  t.match(status.json(), { status: 'reached_safe' })
  await waitFor('the "found" SMS', async () => fake.messages.length === 3)
  t.match(String(fake.messages[2]?.params.Body), /search group found your relative/)
  const events = await app.db.query(`SELECT type, actor_type FROM request_events WHERE type = 'found'`)
  t.match(events.rows, [{ type: 'found', actor_type: 'partner' }])

  const badNote = await app.inject({
    method: 'POST',
    url: `/api/v1/partner/referrals/${id}/notes`,
    headers: search.headers,
    payload: { found: true },
  })
  t.equal(badNote.json().code, 'APP_ERR_VALIDATION')
})

t.test('notes are for search cases only', async (t) => {
  const { app } = await stack(t, {}, { workers: false })
  const boss = await coordinator(app)
  const aid = await partner(app, boss, { everywhere: true, languages: ['en'] })
  const body = requestBody({ requester: { language: 'en' } })
  const { reference } = (await app.inject({ method: 'POST', url: '/api/v1/requests', payload: body })).json()
  const { rows } = await app.db.query('SELECT id::text FROM requests WHERE reference = $1', [reference])
  const referral = await app.db.query(
    `INSERT INTO referrals (request_id, kind, state, partner_id, categories, consent) VALUES ($1, 'needs', 'accepted', $2, '{food}', false) RETURNING id::text`,
    [rows[0].id, aid.id],
  )
  const note = { note_record_id: 'x/1', author_name: 'Aid', source_date: '2022-01-09T10:00:00Z' }
  const res = await app.inject({
    method: 'POST',
    url: `/api/v1/partner/referrals/${referral.rows[0].id}/notes`,
    headers: aid.headers,
    payload: note,
  })
  t.equal(res.json().code, 'APP_ERR_NOT_A_SEARCH')
})
