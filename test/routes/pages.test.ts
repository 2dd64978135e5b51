import { gzipSync } from 'node:zlib'
import t from 'tap'
import { build, uniquePhone } from '../helper.js'

const { app } = await build(t)

/** A browser's visit to a form page: its CSRF token and cookies, for the POST that follows. */
async function visit(url = '/', headers: Record<string, string> = {}) {
  const res = await app.inject({ url, headers })
  const token = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1] ?? ''
  const cookies = Object.fromEntries(res.cookies.map((c) => [c.name, c.value]))
  return { res, token, cookies }
}

async function submit(fields: Record<string, string>, headers: Record<string, string> = {}, url = '/') {
  const { token, cookies } = await visit(url === '/' ? '/' : '/status', headers)
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    cookies,
    payload: new URLSearchParams({ _csrf: token, ...fields }).toString(),
  })
}

const good = () => ({
  requesterName: 'Айгуль',
  requesterPhone: uniquePhone(),
  language: 'ru',
  notifyVia: 'sms',
  relativeName: 'Сауле',
  relativePhone: uniquePhone(),
  city: 'Алматы',
  elderly: 'true',
  consent: 'true',
})

t.test('the form in each language: Accept-Language, the switcher, the cookie; Russian otherwise', async (t) => {
  t.match((await app.inject({ url: '/', headers: { 'accept-language': 'kk-KZ,kk;q=0.9,ru;q=0.8' } })).body, '<html lang="kk">')
  t.match((await app.inject({ url: '/', headers: { 'accept-language': 'en-GB,en;q=0.9' } })).body, 'Ask for a check-in call')
  t.match(
    (await app.inject({ url: '/', headers: { 'accept-language': 'de-DE' } })).body,
    '<html lang="ru">',
    'nothing matches: Russian',
  )
  const switched = await app.inject({ url: '/?lang=en', headers: { 'accept-language': 'kk' } })
  t.match(switched.body, '<html lang="en">')
  const cookie = switched.cookies.find((c) => c.name === 'lang')
  t.equal(cookie?.value, 'en', 'the choice is remembered')
  t.match(
    (await app.inject({ url: '/status', cookies: { lang: 'en' }, headers: { 'accept-language': 'kk' } })).body,
    'Check a request',
  )
  const page = (await app.inject({ url: '/?lang=ru' })).body
  for (const city of ['Алматы', 'Astana', 'Қарағанды']) t.match(page, `<option value="${city}">`, `suggests ${city}`)
  t.match(page, /30 дней/, 'the consent notice says how long data is kept')
})

t.test('strict security headers, no inline script', async (t) => {
  const res = await app.inject({ url: '/' })
  const csp = String(res.headers['content-security-policy'])
  t.match(csp, "script-src 'self'")
  t.notMatch(csp, 'unsafe-inline')
  t.equal(res.headers['x-frame-options'], 'SAMEORIGIN')
  t.notMatch(res.body, /<script|style=|onclick=/i)
  t.equal((await app.inject({ url: '/assets/site.css' })).headers['cache-control'], 'public, max-age=31536000, immutable')
})

t.test('a bad form comes back with what was typed, the errors at their fields, focus on the first', async (t) => {
  const before = (await app.db.query('SELECT count(*)::int AS n FROM requests')).rows[0].n
  const res = await submit(
    { ...good(), requesterPhone: '12345', relativeName: '', consent: '', notes: 'Мама одна' },
    { 'accept-language': 'ru' },
  )
  t.equal(res.statusCode, 400)
  t.match(res.headers['content-type'], 'text/html')
  t.match(res.body, 'role="alert"')
  t.match(
    res.body,
    /id="requesterPhone" name="requesterPhone" value="12345"[^>]*aria-invalid="true" aria-describedby="requesterPhone-error" autofocus/,
  )
  t.match(res.body, /<p class="error" id="requesterPhone-error">На этот номер нельзя позвонить/)
  t.match(res.body, /id="relativeName-error">Заполните это поле/)
  t.match(res.body, /id="consent-error">Чтобы отправить заявку/)
  t.match(res.body, '>Мама одна</textarea>', 'the notes are kept')
  t.match(res.body, /value="Айгуль"/)
  t.equal((await app.db.query('SELECT count(*)::int AS n FROM requests')).rows[0].n, before, 'nothing written')
})

t.test('what strangers type is shown as text, never as markup', async (t) => {
  const nasty = `<script>alert("x")</script> O'Neil & "Co" &amp; שלום 😀`
  const res = await submit({ ...good(), requesterName: nasty, notes: nasty, relativePhone: 'bad' })
  t.equal(res.statusCode, 400)
  t.notMatch(res.body, '<script>alert')
  t.match(res.body, '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; O&#39;Neil &amp; &quot;Co&quot; &amp;amp; שלום 😀')
})

t.test('a good form gives the reference; the same again is said kindly', async (t) => {
  const fields = good()
  const res = await submit(fields, { 'accept-language': 'en' })
  t.equal(res.statusCode, 201)
  const reference = /<p class="reference" translate="no">([2-9A-Z]{4}-[2-9A-Z]{4})<\/p>/.exec(res.body)?.[1]
  t.ok(reference, 'the reference, large')
  t.match(res.body, `/status?ref=${reference?.replace('-', '')}`)
  const { rows } = await app.db.query('SELECT source, requester_language, flag_elderly FROM requests WHERE reference = $1', [
    reference?.replace('-', ''),
  ])
  t.same(rows, [{ source: 'web', requester_language: 'ru', flag_elderly: true }])
  const again = await submit(fields, { 'accept-language': 'en' })
  t.equal(again.statusCode, 200)
  t.match(again.body, 'You already asked about this person')
  t.match(again.body, reference as string)
})

t.test('abuse: no CSRF token, a filled honeypot', async (t) => {
  const forged = await app.inject({
    method: 'POST',
    url: '/',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(good()).toString(),
  })
  t.equal(forged.statusCode, 403)
  t.match(forged.headers['content-type'], 'text/html', 'a page, not JSON')
  const botFields = { ...good(), website: 'http://spam.example' }
  const bot = await submit(botFields)
  t.equal(bot.statusCode, 200)
  const { rows } = await app.db.query('SELECT count(*)::int AS n FROM requests WHERE relative_phone = $1', [
    botFields.relativePhone,
  ])
  t.equal(rows[0].n, 0, 'a bot gets a thank-you and stores nothing')
})

t.test('the status page: state in words; a wrong phone looks like an unknown reference', async (t) => {
  const fields = good()
  const created = await submit(fields)
  const reference = /<p class="reference" translate="no">([^<]+)<\/p>/.exec(created.body)?.[1] as string
  const found = await submit(
    { ref: reference.toLowerCase(), phone: fields.requesterPhone },
    { 'accept-language': 'kk' },
    '/status',
  )
  t.equal(found.statusCode, 200)
  t.match(found.body, 'еріктіні күтуде')
  const wrong = await submit({ ref: reference, phone: '+77770000000' }, {}, '/status')
  const unknown = await submit({ ref: 'ZZZZ-2222', phone: fields.requesterPhone }, {}, '/status')
  t.equal(wrong.statusCode, 404)
  t.equal(unknown.statusCode, 404)
  const strip = (html: string) => html.replace(/name="_csrf" value="[^"]+"/, '').replace(/value="[^"]*" maxlength="16"/, '')
  t.equal(strip(wrong.body), strip(unknown.body))
})

t.test('the form page with its CSS weighs under 30 KB over the wire', async (t) => {
  const page = await app.inject({ url: '/', headers: { 'accept-encoding': 'gzip' } })
  t.equal(page.headers['content-encoding'], 'gzip')
  const css = await app.inject({ url: '/assets/site.css' })
  const bytes = page.rawPayload.length + gzipSync(css.rawPayload).length
  t.ok(bytes < 30 * 1024, `${bytes} bytes`)
  t.notMatch(page.body, /fonts\.googleapis|https?:\/\/(?!bailanys)/, 'no external resources')
})
