import http from 'node:http'
import { pino } from 'pino'
import t from 'tap'
import { runTick } from '../../workers/maintenance.js'
import { coordinator, volunteer } from '../accounts-helper.js'
import { build, requestBody, uniquePhone } from '../helper.js'
import { relayFor } from '../relay-helper.js'

const silent = pino({ level: 'silent' })
const { app, config } = await build(t, { ESCALATE_AFTER_MINUTES: 60 })
const { checkins, relay } = relayFor(t, app, config)
const boss = await coordinator(app)

async function submit(overrides: Parameters<typeof requestBody>[0] = {}) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/requests', payload: requestBody(overrides) })
  await relay.runOnce()
  return res.json().reference as string
}
const get = (url: string, headers = boss.headers) => app.inject({ url, headers })
const post = (url: string, payload?: object, headers = boss.headers) => app.inject({ method: 'POST', url, headers, payload })

t.test('a volunteer gets 403 on every coordinator route; no session gets 401', async (t) => {
  const vera = await volunteer(app, boss)
  const ref = await submit()
  const routes: [string, string, object?][] = [
    ['GET', '/api/v1/backlog'],
    ['GET', '/api/v1/backlog/stream'],
    ['GET', '/api/v1/requests'],
    ['GET', '/api/v1/requests/duplicates'],
    ['GET', `/api/v1/requests/${ref}`],
    ['POST', `/api/v1/requests/${ref}/priority`, { priority: 1 }],
    ['POST', `/api/v1/requests/${ref}/cancel`, { reason: 'x' }],
    ['POST', `/api/v1/requests/${ref}/merge`, { into: ref }],
    ['POST', `/api/v1/requests/${ref}/requeue`],
    ['POST', `/api/v1/requests/${ref}/end-lease`],
    ['GET', '/api/v1/volunteers'],
    ['PATCH', `/api/v1/volunteers/${vera.id}`, { name: 'X' }],
    ['POST', `/api/v1/volunteers/${vera.id}/approve`],
    ['POST', `/api/v1/volunteers/${vera.id}/suspend`],
    ['POST', '/api/v1/volunteers', { name: 'X', phone: uniquePhone(), languages: ['ru'], password: 'long enough pass' }],
    ['GET', '/api/v1/export/requests.csv'],
    ['GET', '/api/v1/export/pfif'],
  ]
  for (const [method, url, payload] of routes) {
    const asVolunteer = await app.inject({ method: method as 'GET', url, headers: vera.headers, payload })
    t.equal(asVolunteer.statusCode, 403, `${method} ${url} as a volunteer`)
    const anonymous = await app.inject({ method: method as 'GET', url, payload, headers: { authorization: 'Bearer nope' } })
    t.equal(anonymous.statusCode, 401, `${method} ${url} without a session`)
  }
})

t.test('the backlog counts match the data exactly', async (t) => {
  const { app, config } = await build(t, { ESCALATE_AFTER_MINUTES: 60 })
  const { relay: relay2 } = relayFor(t, app, config)
  const boss2 = await coordinator(app)
  const make = async (o: Parameters<typeof requestBody>[0]) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/requests', payload: requestBody(o) })
    return res.json().reference as string
  }
  const refs = {
    almatyRu: await make({ requester: { language: 'ru' }, relative: { city: 'Алма-Ата' }, flags: { elderly: false } }),
    almatyKk: await make({ requester: { language: 'kk' }, relative: { city: 'Almaty' }, flags: { elderly: true } }),
    astanaEn: await make({
      requester: { language: 'en' },
      relative: { city: 'Astana' },
      flags: { elderly: false, medical: true },
    }),
    closed1: await make({}),
    closed2: await make({}),
    cancelled: await make({}),
  }
  await relay2.runOnce()
  await app.db.query("UPDATE requests SET created_at = now() - interval '2 hours' WHERE reference = $1", [refs.almatyRu])
  await app.db.query("UPDATE requests SET status = 'reached_safe', closed_at = now() WHERE reference = ANY($1)", [
    [refs.closed1, refs.closed2],
  ])
  await app.db.query("UPDATE requests SET status = 'cancelled', closed_at = now() WHERE reference = $1", [refs.cancelled])
  await app.db.query(
    "INSERT INTO request_events (request_id, type, actor_type, data) SELECT id, 'outcome', 'volunteer', '{}' FROM requests WHERE reference = ANY($1)",
    [[refs.closed1, refs.closed2]],
  )
  const vera = await volunteer(app, boss2, { languages: ['en'] })
  await app.inject({ method: 'POST', url: '/api/v1/tasks/claim', headers: vera.headers })

  const res = await app.inject({ url: '/api/v1/backlog', headers: boss2.headers })
  t.equal(res.statusCode, 200)
  const b = res.json()
  t.same(b.counts, {
    received: 0,
    queued: 2,
    claimed: 1,
    reached_safe: 2,
    reached_needs_help: 0,
    wrong_number: 0,
    unreachable: 0,
    cancelled: 1,
    duplicate: 0,
  })
  t.match(b.waiting, { total: 2, byLanguage: { ru: 1, kk: 1 }, byCity: { almaty: 2 }, pastEscalationThreshold: 1 })
  t.notOk('en' in b.waiting.byLanguage, 'the English one is claimed, not waiting')
  t.ok(b.waiting.oldestWaitingSeconds >= 7200 && b.waiting.oldestWaitingSeconds < 7300, 'the oldest waited two hours')
  t.same(b.claimed, { now: 1, leasesExpiringSoon: 0 })
  t.same(b.lastDay, { received: 6, outcomes: 2 })
  t.same(b.volunteers, { available: 1, active: 1 })

  // The wait past the threshold is escalated once, and shows.
  t.same(await runTick({ config, db: app.db, log: silent }), { escalated: 1 })
  t.same(await runTick({ config, db: app.db, log: silent }), { escalated: 0 }, 'once only')
  const after = (await app.inject({ url: '/api/v1/backlog', headers: boss2.headers })).json()
  t.equal(after.waiting.escalated, 1)
  t.same(after.counts, b.counts, 'compacting the counters changes nothing')
  const { rows } = await app.db.query('SELECT priority FROM requests WHERE reference = $1', [refs.almatyRu])
  t.equal(rows[0].priority, 8, 'raised by two steps')
})

t.test('the stream pushes a change within two seconds of a claim', async (t) => {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  await submit({ requester: { language: 'ru' } })
  const vera = await volunteer(app, boss, { languages: ['ru'] })
  const events: { claimed: number; at: number }[] = []
  const req = http.get({ host: '127.0.0.1', port, path: '/api/v1/backlog/stream', headers: boss.headers })
  const response = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve))
  t.equal(response.headers['content-type'], 'text/event-stream; charset=utf-8')
  let buffer = ''
  response.on('data', (chunk) => {
    buffer += chunk
    for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, i)
      buffer = buffer.slice(i + 2)
      const data = /^data: (.*)$/m.exec(block)
      if (data) events.push({ claimed: JSON.parse(data[1] as string).claimed.now, at: Date.now() })
    }
  })
  const waitFor = async (fn: () => boolean) => {
    for (let i = 0; i < 60 && !fn(); i++) await new Promise((r) => setTimeout(r, 100))
  }
  await waitFor(() => events.length > 0)
  t.equal(events.length, 1, 'the current summary at once')
  const before = events[0]?.claimed ?? 0
  const claimedAt = Date.now()
  await app.inject({ method: 'POST', url: '/api/v1/tasks/claim', headers: vera.headers })
  await waitFor(() => events.some((e) => e.claimed === before + 1))
  const pushed = events.find((e) => e.claimed === before + 1)
  t.ok(pushed, 'the claim was pushed')
  t.ok((pushed?.at ?? Number.POSITIVE_INFINITY) - claimedAt < 2000, `within 2 s (${(pushed?.at ?? 0) - claimedAt} ms)`)
  req.destroy()
})

t.test('list with filters and cursor pages; the full view is audited', async (t) => {
  const refs = []
  for (let i = 0; i < 5; i++) refs.push(await submit({ requester: { language: 'en' }, relative: { city: 'Pavlodar' } }))
  const page1 = (await get('/api/v1/requests?city=pavlodar&language=en&limit=2')).json()
  t.same(
    page1.items.map((r: { reference: string }) => r.reference),
    [refs[4], refs[3]],
  )
  const page2 = (await get(`/api/v1/requests?city=pavlodar&language=en&limit=2&cursor=${page1.nextCursor}`)).json()
  t.same(
    page2.items.map((r: { reference: string }) => r.reference),
    [refs[2], refs[1]],
  )
  const page3 = (await get(`/api/v1/requests?city=pavlodar&language=en&limit=2&cursor=${page2.nextCursor}`)).json()
  t.same(
    page3.items.map((r: { reference: string }) => r.reference),
    [refs[0]],
  )
  t.equal(page3.nextCursor, null)
  t.notMatch(JSON.stringify(page1), /\+7701/, 'no phone number in the list')
  const byRef = (await get(`/api/v1/requests?reference=${(refs[2] as string).slice(0, 6).toLowerCase()}`)).json()
  t.same(
    byRef.items.map((r: { reference: string }) => r.reference),
    [refs[2]],
  )
  t.equal((await get('/api/v1/requests?state=nonsense')).statusCode, 400)
  t.equal((await get('/api/v1/requests?limit=5000')).statusCode, 400)

  const full = await get(`/api/v1/requests/${refs[0]}`)
  t.equal(full.statusCode, 200)
  t.match(full.json(), {
    reference: refs[0],
    relative: { phone: /^\+7701/ },
    requesters: [{ language: 'en' }],
    events: [{ type: 'received' }, { type: 'queued' }],
  })
  const audit = await app.db.query(
    "SELECT count(*)::int AS n FROM audit_events a JOIN requests r ON r.id = a.request_id WHERE r.reference = $1 AND a.action = 'request.read'",
    [refs[0]],
  )
  t.equal(audit.rows[0].n, 1)
  t.equal(
    (await app.inject({ url: `/api/v1/requests/${refs[0]}` })).statusCode,
    400,
    'without a session the phone is still asked for',
  )
})

t.test('actions: priority, cancel, merge, requeue, end a lease — each an event by the coordinator', async (t) => {
  const events = async (ref: string) =>
    (
      await app.db.query(
        'SELECT e.type, e.actor_type, e.actor_id FROM request_events e JOIN requests r ON r.id = e.request_id WHERE r.reference = $1 ORDER BY e.id',
        [ref],
      )
    ).rows
  const ref = await submit({ requester: { language: 'kk' }, flags: { elderly: false } })
  t.same((await post(`/api/v1/requests/${ref}/priority`, { priority: 1 })).json(), { priority: 1 })
  t.equal((await post(`/api/v1/requests/${ref}/priority`, { priority: 0 })).statusCode, 400)
  await relay.runOnce()
  const { rows } = await app.db.query('SELECT id FROM requests WHERE reference = $1', [ref])
  t.equal((await checkins.kk.getJob(`request-${rows[0].id}`))?.priority, 1, 'the waiting job follows')
  t.match((await events(ref)).at(-1), { type: 'priority_changed', actor_type: 'coordinator', actor_id: boss.id })

  const cancelled = await post(`/api/v1/requests/${ref}/cancel`, { reason: 'family found' })
  t.same(cancelled.json(), { status: 'cancelled' })
  t.equal((await post(`/api/v1/requests/${ref}/cancel`, { reason: 'again' })).statusCode, 409)
  t.equal((await post(`/api/v1/requests/${ref}/cancel`, {})).statusCode, 400, 'a reason is needed')
  const notes = await app.db.query("SELECT count(*)::int AS n FROM notifications WHERE request_id = $1 AND kind = 'cancelled'", [
    rows[0].id,
  ])
  t.equal(notes.rows[0].n, 1, 'the requester is told')

  t.same((await post(`/api/v1/requests/${ref}/requeue`)).json(), { status: 'queued' })
  await relay.runOnce()
  t.equal(await (await checkins.kk.getJob(`request-${rows[0].id}`))?.getState(), 'prioritized', 'a fresh job waits')
  t.equal((await post(`/api/v1/requests/${ref}/requeue`)).statusCode, 409, 'only a closed request')

  const vera = await volunteer(app, boss, { languages: ['kk'] })
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/tasks/claim', headers: vera.headers })).json().task.reference, ref)
  t.same((await post(`/api/v1/requests/${ref}/end-lease`)).json(), { status: 'queued' })
  t.equal(
    (await app.inject({ method: 'POST', url: `/api/v1/tasks/${ref}/heartbeat`, headers: vera.headers })).statusCode,
    409,
    'the volunteer lost it',
  )
  t.equal((await post(`/api/v1/requests/${ref}/end-lease`)).statusCode, 409)
  t.same(
    (await events(ref)).map((e) => e.type),
    ['received', 'queued', 'priority_changed', 'cancelled', 'requeued', 'claimed', 'lease_ended'],
  )

  // Merge: the duplicate's requester joins the survivor and is told its reference.
  const a = await submit({ relative: { name: 'Сауле Нурланова', city: 'Алматы' } })
  const bBody = requestBody({ requester: { language: 'en' }, relative: { name: 'Saule Nurlanova', city: 'Almaty' } })
  const b = await submit(bBody)
  const hints = (await get('/api/v1/requests/duplicates')).json()
  t.ok(
    hints.suggestions.some((s: { references: string[] }) => s.references.includes(a) && s.references.includes(b)),
    'suggested as duplicates (same name across scripts, same city)',
  )
  t.equal((await post(`/api/v1/requests/${b}/merge`, { into: b })).statusCode, 400)
  t.same((await post(`/api/v1/requests/${b}/merge`, { into: a })).json(), { status: 'duplicate', into: a })
  const survivor = (await get(`/api/v1/requests/${a}`)).json()
  t.equal(survivor.requesters.length, 2)
  t.same(survivor.relative.otherNames, ['Saule Nurlanova'])
  t.match(survivor.notifications.at(-1), { kind: 'merged', language: 'en' })
  t.equal((await get(`/api/v1/requests/${b}`)).json().status, 'duplicate')
  const status = await app.inject({ url: `/api/v1/requests/${a}?phone=${encodeURIComponent(bBody.requester.phone)}` })
  t.equal(status.statusCode, 200, 'the merged requester follows the survivor')
})

t.test('coordinators list and edit volunteers', async (t) => {
  const vera = await volunteer(app, boss)
  const edited = await app.inject({
    method: 'PATCH',
    url: `/api/v1/volunteers/${vera.id}`,
    headers: boss.headers,
    payload: { languages: ['en', 'en'] },
  })
  t.match(edited.json(), { id: vera.id, languages: ['en'] })
  t.equal(
    (await app.inject({ method: 'PATCH', url: `/api/v1/volunteers/${vera.id}`, headers: boss.headers, payload: {} })).statusCode,
    400,
  )
  t.equal(
    (await app.inject({ method: 'PATCH', url: '/api/v1/volunteers/99999999', headers: boss.headers, payload: { name: 'X' } }))
      .statusCode,
    404,
  )
  const list = (await get('/api/v1/volunteers')).json()
  t.ok(list.volunteers.some((v: { id: string }) => v.id === vera.id))
})
