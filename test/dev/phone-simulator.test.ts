import t from 'tap'
import { escapeHtml, threadId } from '../../dev/fake-twilio/phone-page.js'
import { phoneThreads, twimlTexts } from '../../dev/fake-twilio/phone-threads.js'
import { createFakeTwilio } from '../../dev/fake-twilio/server.js'
import { message } from '../../src/domain/messages/index.js'
import { freePort, requestBody, uniquePhone, waitFor } from '../helper.js'
import { stack } from '../twilio-helper.js'

/** Posts the simulator's form as its own page would (a same-origin browser form post). */
function postForm(
  url: string,
  fields: Record<string, string>,
  headers: Record<string, string> = { 'sec-fetch-site': 'same-origin' },
) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields),
    redirect: 'manual',
  })
}

const pageText = async (url: string) => (await fetch(url)).text()

t.test('the page lists a thread per number the service texted, newest first', async (t) => {
  const { app, fake } = await stack(t)
  const texted: string[] = []
  for (const body of [requestBody(), requestBody({ requester: { language: 'ru' } })]) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/requests', payload: body })
    t.equal(res.statusCode, 201)
    const phone = body.requester.phone
    await waitFor('the "received" SMS', async () => fake.messages.some((m) => m.params.To === phone))
    texted.push(phone)
  }

  const res = await fetch(`${fake.url}/demo/phone?lang=en`)
  t.equal(res.status, 200, 'open without Twilio credentials')
  t.match(res.headers.get('content-type'), /^text\/html/)
  const html = await res.text()
  t.match(html, '<html lang="en">')
  t.match(html, escapeHtml(message('en', 'demo.phone.title')))
  const [older, newer] = texted as [string, string]
  t.ok(html.indexOf(`id="${threadId(newer)}"`) > 0, 'a thread for each number')
  t.ok(html.indexOf(`id="${threadId(newer)}"`) < html.indexOf(`id="${threadId(older)}"`), 'the newest thread first')
  for (const m of fake.messages) t.match(html, escapeHtml(String(m.params.Body)), 'each SMS text is shown')
  t.match(html, /\(UTC\+5\)/, 'times in the service zone, named')

  const kk = await pageText(`${fake.url}/demo/phone?lang=kk`)
  t.match(kk, escapeHtml(message('kk', 'demo.phone.title')), 'in Kazakh too')
  t.match(kk, message('kk', 'demo.phone.count', { count: 1 }))

  const root = await fetch(`${fake.url}/`, { redirect: 'manual' })
  t.equal(root.status, 302, "the fake's root leads to the simulator instead of a 401")
  t.equal(root.headers.get('location'), '/demo/phone')
  const api = await fetch(`${fake.url}/2010-04-01/Accounts/${'AC'.padEnd(34, '1')}/Messages.json`)
  t.equal(api.status, 401, "Twilio's API still wants the credentials")
  t.notOk(
    fake.requests.some((r) => r.url.startsWith('/demo')),
    "the simulator's pages are not recorded as Twilio requests",
  )
})

t.test('a text from the page reaches /twilio/sms signed, and the reply is shown in its thread', async (t) => {
  const { fake } = await stack(t, {}, { workers: false })
  const from = uniquePhone()
  const typed = `8 ${from.slice(2, 5)} ${from.slice(5)}`
  const res = await postForm(`${fake.url}/demo/phone?lang=ru`, { box: 'new', from: typed, body: 'HELP' })
  t.equal(res.status, 303, 'post, then redirect (works without JavaScript)')
  t.equal(res.headers.get('location'), `/demo/phone?lang=ru#${threadId(from)}`)
  t.match(
    fake.inbound,
    [{ from, body: 'HELP', answer: 200, replies: [message('en', 'sms.help')] }],
    'signed: the service answered 200',
  )

  // A request made by SMS from the thread's own reply box.
  const relative = uniquePhone()
  const created = await postForm(`${fake.url}/demo/phone?lang=ru`, {
    box: threadId(from),
    from,
    body: `${relative} Сауле Алматы`,
  })
  t.equal(created.status, 303)
  const reply = fake.inbound[1]?.replies[0] ?? ''
  t.match(reply, /[2-9A-Z]{4}-[2-9A-Z]{4}/, 'the reply carries the reference')

  const html = await pageText(`${fake.url}/demo/phone?lang=ru`)
  const thread = html.slice(html.indexOf(`id="${threadId(from)}"`))
  t.match(thread, escapeHtml(message('en', 'sms.help')))
  t.ok(thread.indexOf(escapeHtml(reply)) < thread.indexOf('Сауле Алматы'), 'the reply above the text it answers')
  t.ok(thread.indexOf('Сауле Алматы') < thread.indexOf('>HELP<'), 'newest first')
  t.match(thread, escapeHtml(message('ru', 'demo.phone.sent')))
})

t.test('a bad form comes back with errors at the fields and the values kept; another site cannot post', async (t) => {
  const { fake } = await stack(t, {}, { workers: false })
  const url = `${fake.url}/demo/phone?lang=en`
  const empty = await postForm(url, { box: 'new', from: '', body: 'hello there' })
  t.equal(empty.status, 400)
  const html = await empty.text()
  t.match(html, `<p class="error" id="new-from-error">${escapeHtml(message('en', 'page.error.required'))}</p>`)
  t.match(html, 'aria-invalid="true" aria-describedby="new-from-error" autofocus')
  t.match(html, '>hello there</textarea>', 'the text is kept')

  const wrong = await (await postForm(url, { box: 'new', from: 'not a phone', body: '' })).text()
  t.match(wrong, escapeHtml(message('en', 'page.error.phone')))
  t.match(wrong, `id="new-body-error">${escapeHtml(message('en', 'page.error.required'))}`)
  t.match(wrong, 'value="not a phone"')

  const long = await postForm(url, { box: 'new', from: uniquePhone(), body: 'x'.repeat(1601) })
  t.equal(long.status, 400)
  t.match(await long.text(), escapeHtml(message('en', 'page.error.tooLong')))

  const foreign: Record<string, string>[] = [{ 'sec-fetch-site': 'cross-site' }, { origin: 'http://evil.example' }]
  for (const headers of foreign) {
    const res = await postForm(url, { box: 'new', from: uniquePhone(), body: 'HELP' }, headers)
    t.equal(res.status, 403, JSON.stringify(headers))
    t.equal(await res.text(), message('en', 'demo.phone.refused'))
  }
  t.same(fake.inbound, [], 'nothing reached the service')
})

t.test('a service that is down shows in the thread, and the page stays up', async (t) => {
  const fake = await createFakeTwilio({
    accountSid: `AC${'2'.repeat(32)}`,
    authToken: 'token',
    webhookBaseUrl: `http://127.0.0.1:${await freePort()}`,
  })
  t.teardown(() => fake.close())
  t.match(await pageText(`${fake.url}/demo/phone?lang=en`), escapeHtml(message('en', 'demo.phone.empty')))
  const from = uniquePhone()
  const res = await postForm(`${fake.url}/demo/phone?lang=en`, { box: 'new', from, body: 'HELP' })
  t.equal(res.status, 303)
  t.match(fake.inbound, [{ from, answer: 'unreachable', replies: [] }])
  t.match(await pageText(`${fake.url}/demo/phone?lang=en`), escapeHtml(message('en', 'demo.phone.unreachable')))
})

t.test('threads: calls show what they say once, recordings are counted, newest first', async (t) => {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 5, 9, 0, s))
  const twiml =
    '<?xml version="1.0" encoding="UTF-8"?><Response><Say language="ru-RU">Всё хорошо &amp; спокойно</Say><Pause length="1"/>' +
    '<Say language="ru-RU">Всё хорошо &amp; спокойно</Say><Play>https://x/a.mp3</Play><Play>https://x/b.mp3</Play></Response>'
  const threads = phoneThreads({
    messages: [{ sid: 'SM1', params: { To: '+77010000001', Body: 'first' }, receivedAt: at(1) }],
    calls: [
      { sid: 'CA1', params: { To: '+77010000002', Twiml: twiml }, receivedAt: at(2) },
      { sid: 'CA2', params: { To: '+77010000001', Url: 'https://service/bridge' }, receivedAt: at(3) },
    ],
    inbound: [],
  })
  t.same(
    threads.map((th) => th.phone),
    ['+77010000001', '+77010000002'],
  )
  t.same(
    threads[0]?.entries.map((e) => e.kind),
    ['call', 'sms'],
  )
  t.same(threads[1]?.entries[0], { at: at(2), direction: 'received', kind: 'call', text: 'Всё хорошо & спокойно', recordings: 2 })
  t.same(twimlTexts('<Response><Message>a &lt;b&gt; &#1179;</Message><Message>c</Message></Response>', 'Message'), [
    'a <b> қ',
    'c',
  ])
  t.same(twimlTexts('<Response/>', 'Message'), [])
})
