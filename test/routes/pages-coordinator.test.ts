import t from 'tap'
import { coordinator, PASSWORD, volunteer } from '../accounts-helper.js'
import { build, requestBody, uniquePhone } from '../helper.js'
import { relayFor } from '../relay-helper.js'

const { app, config } = await build(t)
const { relay } = relayFor(t, app, config)
const boss = await coordinator(app)
const session = { bailanys_session: boss.headers.authorization.slice(7) }

async function submit(overrides: Parameters<typeof requestBody>[0] = {}) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/requests', payload: requestBody(overrides) })
  await relay.runOnce()
  return res.json().reference as string
}

/** A page as the coordinator's browser gets it: with the session cookie. */
const page = (url: string, lang = 'en') => app.inject({ url, cookies: { ...session, lang } })

/** A form POST from a page: fetch the page for its CSRF token, then post with the cookies. */
async function post(from: string, url: string, fields: Record<string, string | string[]>) {
  const res = await page(from)
  const token = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1] ?? ''
  const cookies = { ...session, ...Object.fromEntries(res.cookies.map((c) => [c.name, c.value])) }
  const body = new URLSearchParams({ _csrf: token })
  for (const [k, v] of Object.entries(fields)) for (const value of [v].flat()) body.append(k, value)
  return app.inject({
    method: 'POST',
    url,
    cookies,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: body.toString(),
  })
}

t.test('only a coordinator sees the dashboard', async (t) => {
  const anonymous = await app.inject({ url: '/coordinator' })
  t.equal(anonymous.statusCode, 303)
  t.match(anonymous.headers.location, '/volunteer/login')
  const vera = await volunteer(app, boss)
  const asVolunteer = await app.inject({
    url: '/coordinator/requests',
    cookies: { bailanys_session: vera.headers.authorization.slice(7) },
  })
  t.equal(asVolunteer.statusCode, 303)
  t.equal(asVolunteer.headers.location, '/volunteer')
})

t.test('the dashboard in each language, live-ready, with no inline script', async (t) => {
  await submit({ requester: { language: 'ru' }, relative: { city: 'Алматы' } })
  for (const lang of ['kk', 'ru', 'en']) {
    const res = await page('/coordinator', lang)
    t.equal(res.statusCode, 200, lang)
    t.match(res.body, `<html lang="${lang}">`)
    t.match(res.body, /data-k="waiting.total">\d+</)
    t.match(res.body, '<script src="/assets/dashboard.js" defer></script>')
    t.notMatch(res.body, /<script>|style=/)
  }
  t.match((await page('/coordinator', 'ru')).body, 'ждёт волонтёра', 'states in words')
  t.equal((await app.inject({ url: '/assets/dashboard.js' })).statusCode, 200)
})

t.test('requests: filters, the full page (audited), and the actions', async (t) => {
  const ref = await submit({ requester: { language: 'kk' }, relative: { name: '<img src=x onerror=alert(1)>', city: 'Тараз' } })
  const list = await page('/coordinator/requests?city=taraz&language=kk')
  t.match(list.body, `href="/coordinator/requests/${ref}"`)
  const full = await page(`/coordinator/requests/${ref}`)
  t.equal(full.statusCode, 200)
  t.match(full.body, '&lt;img src=x onerror=alert(1)&gt;', "a stranger's text is shown as text")
  t.notMatch(full.body, '<img src=x')
  const audit = await app.db.query(
    "SELECT count(*)::int AS n FROM audit_events a JOIN requests r ON r.id = a.request_id WHERE r.reference = $1 AND a.action = 'request.read'",
    [ref],
  )
  t.equal(audit.rows[0].n, 1)

  const priority = await post(`/coordinator/requests/${ref}`, `/coordinator/requests/${ref}/priority`, { priority: '1' })
  t.equal(priority.statusCode, 303)
  t.equal(priority.headers.location, `/coordinator/requests/${ref}?done=1`)
  const cancelled = await post(`/coordinator/requests/${ref}`, `/coordinator/requests/${ref}/cancel`, {
    reason: 'found by family',
  })
  t.equal(cancelled.statusCode, 303)
  const again = await post(`/coordinator/requests/${ref}`, `/coordinator/requests/${ref}/end-lease`, {})
  t.match(again.headers.location, 'error=APP_ERR_NO_LEASE_TO_END')
  const shown = await page(String(again.headers.location), 'ru')
  t.match(shown.body, 'Этой заявкой сейчас никто не занят', 'a refusal, explained in the coordinator’s language')
  const { rows } = await app.db.query('SELECT status, priority FROM requests WHERE reference = $1', [ref])
  t.same(rows[0], { status: 'cancelled', priority: 1 })
  const forged = await app.inject({
    method: 'POST',
    url: `/coordinator/requests/${ref}/requeue`,
    cookies: session,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: '',
  })
  t.equal(forged.statusCode, 403, 'no CSRF token, no action')
  t.equal((await post(`/coordinator/requests/${ref}`, `/coordinator/requests/${ref}/requeue`, {})).statusCode, 303)
  t.equal((await app.db.query('SELECT status FROM requests WHERE reference = $1', [ref])).rows[0].status, 'queued')
})

t.test('duplicates and merging from the page', async (t) => {
  const a = await submit({ relative: { name: 'Айгерім Сапарова', city: 'Шымкент' } })
  const b = await submit({ relative: { name: 'Aigerim Saparova', city: 'Shymkent' } })
  const dupes = await page('/coordinator/duplicates')
  t.match(dupes.body, a)
  t.match(dupes.body, b)
  const merged = await post('/coordinator/duplicates', `/coordinator/requests/${b}/merge`, { into: a })
  t.equal(merged.statusCode, 303)
  t.equal((await app.db.query('SELECT status FROM requests WHERE reference = $1', [b])).rows[0].status, 'duplicate')
})

t.test('volunteers: add, approve, edit languages, suspend', async (t) => {
  const phone = uniquePhone()
  const bad = await post('/coordinator/volunteers', '/coordinator/volunteers', {
    name: 'Nurlan',
    phone: '123',
    password: 'short',
  })
  t.match(bad.headers.location, 'error=VOLUNTEER_INVALID')
  const added = await post('/coordinator/volunteers', '/coordinator/volunteers', {
    name: 'Nurlan',
    phone,
    password: PASSWORD,
    languages: ['ru', 'kk'],
  })
  t.equal(added.headers.location, '/coordinator/volunteers?done=1')
  const { rows } = await app.db.query('SELECT id::text, status, languages FROM accounts WHERE phone = $1', [phone])
  t.same(rows[0].languages, ['ru', 'kk'])
  t.equal(rows[0].status, 'pending')
  const id = rows[0].id
  await post('/coordinator/volunteers', `/coordinator/volunteers/${id}/approve`, {})
  await post('/coordinator/volunteers', `/coordinator/volunteers/${id}/languages`, { languages: ['en'] })
  await post('/coordinator/volunteers', `/coordinator/volunteers/${id}/suspend`, {})
  const after = await app.db.query('SELECT status, languages FROM accounts WHERE id = $1', [id])
  t.same(after.rows[0], { status: 'suspended', languages: ['en'] })
  const list = await page('/coordinator/volunteers', 'kk')
  t.match(list.body, 'тоқтатылған')
})
