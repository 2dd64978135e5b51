import t from 'tap'
import { coordinator, volunteer } from '../accounts-helper.js'
import { build, requestBody, uniquePhone } from '../helper.js'
import { relayFor } from '../relay-helper.js'

const { app, config } = await build(t)
const { relay, checkins } = relayFor(t, app, config)
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
  const cookies = { ...session, lang: 'en', ...Object.fromEntries(res.cookies.map((c) => [c.name, c.value])) }
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

t.test('the dashboard in each language: live-ready, states told apart, places by name, no inline script', async (t) => {
  const empty = await page('/coordinator', 'ru')
  t.match(empty.body, 'никто не ждёт', 'an empty group says so rather than showing only headers')
  await submit({ requester: { language: 'ru' }, relative: { city: 'Алма-Ата' } })
  for (const lang of ['kk', 'ru', 'en']) {
    const res = await page('/coordinator', lang)
    t.equal(res.statusCode, 200, lang)
    t.match(res.body, `<html lang="${lang}">`)
    t.match(res.body, /data-k="waiting.total">\d+</)
    t.match(res.body, '<script src="/assets/dashboard.js" defer></script>')
    t.notMatch(res.body, /<script>|style=/)
    t.notMatch(res.body, />almaty</, 'no place key on the page')
    const states = [...res.body.matchAll(/href="\/coordinator\/requests\?state=\w+">([^<]+)</g)].map((m) => m[1])
    t.equal(new Set(states).size, states.length, `${lang}: every state has its own words`)
  }
  const ru = (await page('/coordinator', 'ru')).body
  t.match(ru, 'в очереди, ждёт волонтёра')
  t.match(ru, 'принята, ещё не в очереди')
  t.match(ru, />Алматы</, 'the place in the page’s language')
  t.match((await page('/coordinator', 'en')).body, />Almaty</)
  t.equal((await app.inject({ url: '/assets/dashboard.js' })).statusCode, 200)
})

t.test('waits in words with plurals: 1, 2, 5, 21 minutes', async (t) => {
  const ref = await submit()
  const expected = {
    ru: ['1 минута', '2 минуты', '5 минут', '21 минута'],
    kk: ['1 минут', '2 минут', '5 минут', '21 минут'],
    en: ['1 minute', '2 minutes', '5 minutes', '21 minutes'],
  }
  for (const [i, minutes] of [1, 2, 5, 21].entries()) {
    // The oldest waiting request is this one, `minutes` old (and a few seconds: never rounded up).
    await app.db.query(
      `UPDATE requests SET created_at = CASE WHEN reference = $2
         THEN now() - make_interval(mins => $1) - interval '10 seconds' ELSE now() END
       WHERE status IN ('received', 'queued')`,
      [minutes, ref],
    )
    for (const lang of ['ru', 'kk', 'en'] as const) {
      const body = (await page('/coordinator/live/summary', lang)).body
      t.match(body, `<span class="n">${expected[lang][i]}</span>`, `${lang} ${minutes}`)
    }
  }
})

t.test('the chart: server-drawn SVG with a title, a description and the same numbers as a table', async (t) => {
  const res = await page('/coordinator/live/chart', 'ru')
  t.equal(res.statusCode, 200)
  t.notMatch(res.body, '<html', 'a fragment, for the script to swap in')
  t.match(res.body, /<svg class="chart" viewBox="[^"]+" role="img" aria-labelledby="chart-title chart-desc"/)
  t.match(res.body, '<title id="chart-title">Очередь за последние 12 часов</title>')
  t.match(res.body, /<desc id="chart-desc">Сейчас ждут: \d+/)
  t.match(res.body, /<rect class="chart-raised"/, 'bars for the waiting requests (elderly: priority 4)')
  t.equal([...res.body.matchAll(/<tr><th scope="row">/g)].length, 24, 'one row per half hour of 12 hours')
  t.match(res.body, /\(UTC\+5\)/, 'times in the one zone, named')
  t.notMatch(res.body, /style=|<script/)
  t.equal((await page('/coordinator/live/nothing')).statusCode, 404)
})

t.test('requests: filters by a place as typed, words not codes, times in the one zone', async (t) => {
  const ref = await submit({ requester: { language: 'kk' }, relative: { name: '<img src=x onerror=alert(1)>', city: 'Тараз' } })
  const list = await page('/coordinator/requests?city=Taraz&language=kk', 'ru')
  t.match(list.body, `href="/coordinator/requests/${ref}"`)
  t.match(list.body, '>казахский<')
  t.match(list.body, '>Тараз<')
  t.match(list.body, /data-label="Получена"><time datetime="[^"]+">[^<]+\(UTC\+5\)</)
  t.match((await page('/coordinator/requests?reference=NOPE', 'ru')).body, 'Таких заявок нет.')
  const full = await page(`/coordinator/requests/${ref}`, 'ru')
  t.equal(full.statusCode, 200)
  t.match(full.body, '&lt;img src=x onerror=alert(1)&gt;', "a stranger's text is shown as text")
  t.notMatch(full.body, '<img src=x')
  t.notMatch(full.body, /необязательно|Ваше имя|Ваш телефон/, "the coordinator's own labels")
  t.match(full.body, /<li><time datetime="[^"]+">[^<]+\(UTC\+5\)<\/time> <span>Заявка получена \(API\) · спрашивающий<\/span>/)
  t.notMatch(full.body, /received \(requester\)|\(system\)/, 'no English event names on a Russian page')
  const audit = await app.db.query(
    "SELECT count(*)::int AS n FROM audit_events a JOIN requests r ON r.id = a.request_id WHERE r.reference = $1 AND a.action = 'request.read'",
    [ref],
  )
  t.equal(audit.rows[0].n, 1)

  const priority = await post(`/coordinator/requests/${ref}`, `/coordinator/requests/${ref}/priority`, { priority: '1' })
  t.equal(priority.headers.location, `/coordinator/requests/${ref}?done=1`)
  const cancelled = await post(`/coordinator/requests/${ref}`, `/coordinator/requests/${ref}/cancel`, { reason: 'found' })
  t.equal(cancelled.statusCode, 303)
  const again = await post(`/coordinator/requests/${ref}`, `/coordinator/requests/${ref}/end-lease`, {})
  t.match(again.headers.location, 'error=APP_ERR_NO_LEASE_TO_END')
  const shown = await page(String(again.headers.location), 'ru')
  t.match(shown.body, 'Этой заявкой сейчас никто не занят', 'a refusal, explained in the coordinator’s language')
  t.match(shown.body, 'Приоритет изменён на 1')
  t.match(shown.body, /Отменена · координатор<\/span> <q translate="no">found<\/q>/)
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
  const dupes = await page('/coordinator/duplicates', 'kk')
  t.match(dupes.body, a)
  t.match(dupes.body, b)
  t.match(dupes.body, '>Шымкент</h2>')
  const merged = await post('/coordinator/duplicates', `/coordinator/requests/${b}/merge`, { into: a })
  t.equal(merged.statusCode, 303)
  t.equal((await app.db.query('SELECT status FROM requests WHERE reference = $1', [b])).rows[0].status, 'duplicate')
})

/** The add-volunteer form's field error, with its code: `[field, code, text]`. */
const fieldError = (body: string, field: string) =>
  new RegExp(`id="v${field}-error" data-code="([A-Z_]+)">([^<]+)<`).exec(body)?.slice(1) ?? []

t.test('adding a volunteer: each error at its field, what was typed kept, the API’s codes', async (t) => {
  const phone = uniquePhone()
  const short = await post('/coordinator/volunteers', '/coordinator/volunteers', {
    name: 'Nurlan <b>Ospanov</b>',
    phone,
    password: 'short',
    languages: ['kk'],
  })
  t.equal(short.statusCode, 400, 'the page again, not a redirect that forgets the form')
  t.same(fieldError(short.body, 'password'), ['APP_ERR_VALIDATION', 'At least 10 characters, please.'])
  t.same(fieldError(short.body, 'name'), [], 'no error where there is none')
  t.match(short.body, 'value="Nurlan &lt;b&gt;Ospanov&lt;/b&gt;"', 'the name kept, as text')
  t.match(short.body, `value="${phone}"`, 'the phone kept')
  t.match(short.body, 'name="languages" value="kk" checked', 'the languages kept')
  t.match(short.body, /id="vpassword"[^>]+aria-invalid="true"[^>]+autofocus/, 'the first error is focused')
  const api = await app.inject({
    method: 'POST',
    url: '/api/v1/volunteers',
    headers: boss.headers,
    payload: { name: 'Nurlan', phone, password: 'short', languages: ['kk'] },
  })
  t.equal(api.json().code, 'APP_ERR_VALIDATION', 'the API refuses the same input with the same code')
  t.match(api.json().errors, [{ path: 'password' }])

  const empty = await post('/coordinator/volunteers', '/coordinator/volunteers', { name: '', phone: '12', password: '' })
  t.same(fieldError(empty.body, 'name')[1], 'Please fill this in.')
  t.match(fieldError(empty.body, 'phone')[1], 'not a phone number we can call')
  t.same(fieldError(empty.body, 'languages')[1], 'Choose at least one language.')

  const added = await post('/coordinator/volunteers', '/coordinator/volunteers', {
    name: 'Nurlan',
    phone,
    password: 'long enough pass',
    languages: ['ru', 'kk'],
  })
  t.equal(added.headers.location, '/coordinator/volunteers?done=1')
  const { rows } = await app.db.query('SELECT status, languages FROM accounts WHERE phone = $1', [phone])
  t.same(rows[0], { status: 'pending', languages: ['ru', 'kk'] })

  const again = await post('/coordinator/volunteers', '/coordinator/volunteers', {
    name: 'Nurlan again',
    phone,
    password: 'long enough pass',
    languages: ['ru'],
  })
  t.equal(again.statusCode, 409)
  t.same(fieldError(again.body, 'phone'), ['APP_ERR_ACCOUNT_EXISTS', 'A volunteer with this phone already exists.'])
  t.match(again.body, 'value="Nurlan again"')
  const apiAgain = await app.inject({
    method: 'POST',
    url: '/api/v1/volunteers',
    headers: boss.headers,
    payload: { name: 'Nurlan', phone, password: 'long enough pass', languages: ['ru'] },
  })
  t.equal(apiAgain.statusCode, 409)
  t.equal(apiAgain.json().code, 'APP_ERR_ACCOUNT_EXISTS', 'one service, one refusal, one code')

  const missing = await post('/coordinator/volunteers', '/coordinator/volunteers/999999999/approve', {})
  t.equal(missing.headers.location, '/coordinator/volunteers?error=APP_ERR_ACCOUNT_NOT_FOUND')
  const apiMissing = await app.inject({ method: 'POST', url: '/api/v1/volunteers/999999999/approve', headers: boss.headers })
  t.equal(apiMissing.json().code, 'APP_ERR_ACCOUNT_NOT_FOUND')
  t.match((await page(String(missing.headers.location))).body, 'No such volunteer.')
})

t.test('suspending is confirmed on its own page, then ends leases and sessions in one commit', async (t) => {
  const vera = await volunteer(app, boss, { languages: ['ru'] })
  await submit({ requester: { language: 'ru' } })
  const claimed = await app.inject({ method: 'POST', url: '/api/v1/tasks/claim', headers: vera.headers })
  const ref = claimed.json().task.reference as string
  const list = await page('/coordinator/volunteers', 'ru')
  t.match(list.body, `<a class="button danger" href="/coordinator/volunteers/${vera.id}/suspend">Отстранить…</a>`)
  t.match(list.body, '1 заявка в работе')

  const unconfirmed = await post('/coordinator/volunteers', `/coordinator/volunteers/${vera.id}/suspend`, {})
  t.equal(unconfirmed.headers.location, `/coordinator/volunteers/${vera.id}/suspend`, 'no confirmation: asked first')
  t.equal((await app.db.query('SELECT status FROM accounts WHERE id = $1', [vera.id])).rows[0].status, 'approved')
  const confirm = await page(`/coordinator/volunteers/${vera.id}/suspend`, 'ru')
  t.match(confirm.body, '1 заявка, по которой он(а) звонит, сейчас вернётся в очередь.')
  t.match(confirm.body, '<button type="submit" class="danger">Да, отстранить</button>')
  t.match(confirm.body, '<input type="hidden" name="confirm" value="yes">')

  // A failure at the last step (the audit event) must leave everything as it was.
  const fail = `CREATE FUNCTION fail_suspension() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.action = 'volunteer.suspended' THEN RAISE EXCEPTION 'injected'; END IF; RETURN NEW; END $$;
    CREATE TRIGGER fail_suspension BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION fail_suspension()`
  await app.db.query(fail)
  const broken = await app.inject({ method: 'POST', url: `/api/v1/volunteers/${vera.id}/suspend`, headers: boss.headers })
  t.equal(broken.statusCode, 500)
  await app.db.query('DROP TRIGGER fail_suspension ON audit_events; DROP FUNCTION fail_suspension()')
  const state = async () =>
    (
      await app.db.query(
        `SELECT a.status, (SELECT count(*)::int FROM leases WHERE account_id = a.id) AS leases,
                (SELECT count(*)::int FROM sessions WHERE account_id = a.id AND revoked_at IS NULL) AS sessions,
                (SELECT status FROM requests WHERE reference = $2) AS request
         FROM accounts a WHERE a.id = $1`,
        [vera.id, ref],
      )
    ).rows[0]
  t.same(await state(), { status: 'approved', leases: 1, sessions: 1, request: 'claimed' }, 'all or nothing')

  const done = await post('/coordinator/volunteers', `/coordinator/volunteers/${vera.id}/suspend`, { confirm: 'yes' })
  t.equal(done.headers.location, '/coordinator/volunteers?done=1')
  t.same(await state(), { status: 'suspended', leases: 0, sessions: 0, request: 'queued' })
  const event = await app.db.query(
    "SELECT e.actor_type FROM request_events e JOIN requests r ON r.id = e.request_id WHERE r.reference = $1 AND e.type = 'lease_ended'",
    [ref],
  )
  t.same(event.rows, [{ actor_type: 'coordinator' }])
  const { rows } = await app.db.query('SELECT id FROM requests WHERE reference = $1', [ref])
  t.match(await (await checkins.ru.getJob(`request-${rows[0].id}`))?.getState(), /^(waiting|prioritized)$/, 'the job is back')
  t.match((await page('/coordinator/volunteers', 'kk')).body, 'тоқтатылған')
})
