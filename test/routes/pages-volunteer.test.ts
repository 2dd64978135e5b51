import type { LightMyRequestResponse } from 'fastify'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import { createFakeTwilio } from '../../dev/fake-twilio/server.js'
import type { Config } from '../../src/config.js'
import { closeCheckinsQueues, createCheckinsQueues } from '../../src/queues/checkins.js'
import { bullConnection } from '../../src/queues/connection.js'
import { createNotifyQueue } from '../../src/queues/notify.js'
import { createOutboxRelay } from '../../workers/outbox-relay.js'
import { coordinator, PASSWORD, volunteer } from '../accounts-helper.js'
import { build, requestBody } from '../helper.js'

const silent = pino({ level: 'silent' })
const ACCOUNT_SID = `AC${'2'.repeat(32)}`
const AUTH_TOKEN = 'pages-volunteer-token'
type Fields = Record<string, string> | [string, string][]

/**
 * The app with a fake Twilio (for the bridged call) and the relay that queues intake: what a
 * volunteer needs to have something to claim. Each test gets its own schema and queues.
 */
async function setup(t: Test, overrides: Partial<Config> = {}) {
  const fake = await createFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN })
  t.teardown(() => fake.close())
  const { app, config } = await build(t, {
    LEASE_SECONDS: 60,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_BASE_URL: fake.url,
    TWILIO_FROM: '+15005550006',
    TWILIO_TIMEOUT_MS: 2000,
    ...overrides,
  })
  const producer = { connection: bullConnection(config, 'producer'), prefix: config.BULLMQ_PREFIX }
  const checkins = createCheckinsQueues(producer)
  const notify = createNotifyQueue(producer)
  const relay = createOutboxRelay({ config, db: app.db, checkins, notify, log: silent })
  t.teardown(async () => {
    await closeCheckinsQueues(checkins)
    await notify.close()
  })
  const boss = await coordinator(app)

  const submit = async (overrides: Parameters<typeof requestBody>[0] = {}) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/requests', payload: requestBody(overrides) })
    await relay.runOnce()
    return res.json().reference as string
  }

  /** A browser: a cookie jar, the CSRF token of the last page seen, plain form posts. */
  const browser = (lang?: string) => {
    const jar: Record<string, string> = lang ? { lang } : {}
    let token = ''
    const remember = (res: LightMyRequestResponse) => {
      for (const c of res.cookies as { name: string; value: string; expires?: Date }[]) {
        if (c.expires && c.expires.getTime() < Date.now()) delete jar[c.name]
        else jar[c.name] = c.value
      }
      token = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1] ?? token
      return res
    }
    return {
      jar,
      get: async (url: string) => remember(await app.inject({ url, cookies: jar })),
      post: async (url: string, fields: Fields = {}, options: { csrf?: boolean } = {}) => {
        const body = new URLSearchParams(fields)
        if (options.csrf !== false) body.append('_csrf', token)
        return remember(
          await app.inject({
            method: 'POST',
            url,
            cookies: jar,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            payload: body.toString(),
          }),
        )
      },
    }
  }

  /** A volunteer (approved and available unless told otherwise), logged in through the page. */
  const signIn = async (options: Parameters<typeof volunteer>[2] & { lang?: string } = {}) => {
    const account = await volunteer(app, boss, options)
    const b = browser(options.lang)
    await b.get('/volunteer/login')
    const res = await b.post('/volunteer/login', { login: account.phone, password: PASSWORD })
    if (res.statusCode !== 303) throw new Error(`page login failed: ${res.statusCode}`)
    return { ...account, b }
  }

  const claimTask = async (b: ReturnType<typeof browser>) => {
    await b.get('/volunteer')
    const res = await b.post('/volunteer/claim')
    const reference = /^\/volunteer\/task\/([2-9A-Z]{8})$/.exec(String(res.headers.location))?.[1]
    if (!reference) throw new Error(`nothing claimed: ${res.statusCode} ${res.headers.location}`)
    return { reference, page: await b.get(`/volunteer/task/${reference}`) }
  }

  const status = async (reference: string) =>
    (await app.db.query('SELECT status FROM requests WHERE reference = $1', [reference])).rows[0]?.status

  return { app, config, fake, boss, submit, browser, signIn, claimTask, status }
}

/** No inline script or style, no handler attributes: the CSP would block them anyway. */
function assertNoInline(t: Test, html: string, what: string) {
  const scripts = html.match(/<script[^>]*>/g) ?? []
  t.ok(
    scripts.every((s) => s === '<script src="/assets/console.js" defer>'),
    `${what}: only the console script (${scripts.join(' ')})`,
  )
  t.notMatch(html, /style=|<style|\son[a-z]+=/i, `${what}: no inline style or handler`)
}

t.test('login: a wrong password keeps the login and says so at the field; a good one sets the cookie', async (t) => {
  const { app, boss, browser } = await setup(t)
  const vera = await volunteer(app, boss)
  const b = browser('en')
  const form = await b.get('/volunteer/login')
  t.equal(form.statusCode, 200)
  t.match(form.body, 'Volunteer login')
  t.match(form.body, /<label for="login">Phone or email<\/label>/)
  t.match(form.body, /<label for="password">Password<\/label>/)

  const empty = await b.post('/volunteer/login', { login: '', password: '' })
  t.equal(empty.statusCode, 400)
  t.match(empty.body, /id="login"[^>]*aria-invalid="true" aria-describedby="login-error" autofocus/)
  t.match(empty.body, /<p class="error" id="login-error">Please fill this in.<\/p>/)

  const wrong = await b.post('/volunteer/login', { login: vera.phone, password: 'not the password' })
  t.equal(wrong.statusCode, 401)
  t.match(wrong.body, `value="${vera.phone}"`, 'the login is kept')
  t.match(wrong.body, /id="password"[^>]*aria-invalid="true" aria-describedby="password-error" autofocus/)
  t.match(wrong.body, /<p class="error" id="password-error">Wrong phone, email or password.<\/p>/)
  t.notOk(b.jar.bailanys_session, 'no session')

  const good = await b.post('/volunteer/login', { login: vera.phone, password: PASSWORD })
  t.equal(good.statusCode, 303)
  t.equal(good.headers.location, '/volunteer')
  const cookie = good.cookies.find((c) => c.name === 'bailanys_session')
  t.match(cookie, { httpOnly: true, sameSite: 'Lax', path: '/' })
  t.notOk(cookie?.secure, 'not Secure over plain http')
  const home = await b.get('/volunteer')
  t.equal(home.statusCode, 200)
  t.match(home.body, 'Hello, <span translate="no">Volunteer Vera</span>', 'the name, marked as no translation')
  t.equal((await b.get('/volunteer/login')).headers.location, '/volunteer', 'logged in: the login page leads on')

  const out = await b.post('/volunteer/logout')
  t.equal(out.statusCode, 303)
  t.equal(out.headers.location, '/volunteer/login?out=1')
  t.notOk(b.jar.bailanys_session, 'the cookie is cleared')
  t.match((await b.get('/volunteer/login?out=1')).body, 'You are logged out.')
  const replay = await app.inject({ url: '/volunteer', cookies: { bailanys_session: cookie?.value as string } })
  t.equal(replay.headers.location, '/volunteer/login', 'the session is revoked, not just forgotten')
})

t.test('login: a locked account gets a friendly page; Secure cookie behind https', async (t) => {
  const { app, boss, browser } = await setup(t, { PUBLIC_BASE_URL: 'https://bailanys.example' })
  const vera = await volunteer(app, boss)
  const b = browser('ru')
  await b.get('/volunteer/login')
  for (let i = 0; i < 5; i++) await b.post('/volunteer/login', { login: vera.phone, password: 'wrong' })
  const locked = await b.post('/volunteer/login', { login: vera.phone, password: PASSWORD })
  t.equal(locked.statusCode, 429)
  t.match(locked.headers['content-type'], 'text/html')
  t.match(locked.body, 'Слишком много попыток входа')
  t.match(locked.body, `value="${vera.phone}"`)

  const other = await volunteer(app, boss)
  const good = await b.post('/volunteer/login', { login: other.phone, password: PASSWORD })
  t.equal(good.statusCode, 303, 'another account from the same address')
  t.match(
    good.cookies.find((c) => c.name === 'bailanys_session'),
    { secure: true, httpOnly: true, sameSite: 'Lax' },
  )

  // 20 logins a minute per address, counting every try: the 21st is refused before any check.
  let tries = 7
  let limited = await b.post('/volunteer/login', { login: '', password: '' })
  while (limited.statusCode !== 429 && tries < 30) {
    tries++
    limited = await b.post('/volunteer/login', { login: '', password: '' })
  }
  t.equal(tries, 20, 'the 21st try')
  t.match(limited.headers['content-type'], 'text/html')
  t.match(limited.body, 'Слишком много попыток входа')
  t.match(limited.body, 'action="/volunteer/login"', 'the form is still there')
})

t.test('without a session every console page leads to the login', async (t) => {
  const { browser } = await setup(t)
  const b = browser()
  for (const url of ['/volunteer', '/volunteer/task/K7QM4XTR']) {
    const res = await b.get(url)
    t.equal(res.statusCode, 303, url)
    t.equal(res.headers.location, '/volunteer/login')
  }
  await b.get('/volunteer/login')
  const claim = await b.post('/volunteer/claim')
  t.equal(claim.headers.location, '/volunteer/login', 'a POST too')
  b.jar.bailanys_session = 'forged-or-expired'
  t.equal((await b.get('/volunteer')).headers.location, '/volunteer/login', 'an unknown token')
})

t.test('a pending volunteer waits for approval; a coordinator is told this is not their console', async (t) => {
  const { app, boss, browser, signIn } = await setup(t)
  const pending = await signIn({ approve: false, lang: 'en' })
  const page = await pending.b.get('/volunteer')
  t.equal(page.statusCode, 200)
  t.match(page.body, 'A coordinator has not approved your account yet')
  t.notMatch(page.body, 'action="/volunteer/claim"', 'nothing to claim')
  t.match(page.body, 'action="/volunteer/logout"')
  const claim = await pending.b.post('/volunteer/claim')
  t.equal(claim.statusCode, 403)
  t.match(claim.body, 'A coordinator has not approved your account yet')

  const b = browser('en')
  await b.get('/volunteer/login')
  const phone = (await app.db.query('SELECT phone FROM accounts WHERE id = $1', [boss.id])).rows[0].phone
  t.equal((await b.post('/volunteer/login', { login: phone, password: PASSWORD })).statusCode, 303)
  const coordinatorPage = await b.get('/volunteer')
  t.equal(coordinatorPage.statusCode, 403)
  t.match(coordinatorPage.body, 'This console is for volunteers')
})

t.test('availability: a toggle, and a claim needs it', async (t) => {
  const { app, signIn } = await setup(t)
  const vera = await signIn({ lang: 'en' })
  let page = await vera.b.get('/volunteer')
  t.match(page.body, 'You are available')
  t.match(page.body, /name="available" value="false">\s*<button type="submit" class="secondary">Take a break/)
  t.match(page.body, 'action="/volunteer/claim"')
  const off = await vera.b.post('/volunteer/availability', { available: 'false' })
  t.equal(off.statusCode, 303)
  t.equal(off.headers.location, '/volunteer')
  t.equal((await app.db.query('SELECT available FROM accounts WHERE id = $1', [vera.id])).rows[0].available, false)
  page = await vera.b.get('/volunteer')
  t.match(page.body, 'You are on a break')
  t.match(page.body, 'I am available')
  t.notMatch(page.body, 'action="/volunteer/claim"')
  const claim = await vera.b.post('/volunteer/claim')
  t.equal(claim.statusCode, 409, 'a stale console that still showed the button')
  t.match(claim.body, 'Mark yourself available to take requests.')
  await vera.b.post('/volunteer/availability', { available: 'true' })
  t.equal((await app.db.query('SELECT available FROM accounts WHERE id = $1', [vera.id])).rows[0].available, true)
})

t.test('claim: nothing waiting is said; a request held shows the family’s details, as text, audited', async (t) => {
  const { app, submit, signIn, claimTask } = await setup(t)
  const vera = await signIn({ languages: ['ru'], lang: 'en' })
  await vera.b.get('/volunteer')
  const none = await vera.b.post('/volunteer/claim')
  t.equal(none.headers.location, '/volunteer?empty=1')
  t.match((await vera.b.get('/volunteer?empty=1')).body, 'Nothing is waiting in your languages right now.')

  const nasty = '<script>alert("x")</script> Сауле'
  const body = requestBody({
    requester: { name: 'Айгуль Серикова', language: 'ru' },
    relative: { name: nasty, address: 'ул. Абая 1, кв. 2', notes: 'Живёт одна.\n<b>Слышит плохо</b>' },
    flags: { elderly: true, medical: true },
  })
  const reference = await submit(body)
  const { page } = await claimTask(vera.b)
  t.equal(page.statusCode, 200)
  t.equal(page.headers['cache-control'], 'no-store')
  t.notMatch(page.body, '<script>alert')
  t.match(page.body, '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Сауле')
  t.match(page.body, '&lt;b&gt;Слышит плохо&lt;/b&gt;')
  const phone = body.relative.phone
  const shown = `${phone.slice(0, 2)} ${phone.slice(2, 5)} ${phone.slice(5, 8)} ${phone.slice(8)}`
  t.match(page.body, `<a class="tel" href="tel:${phone}" data-copy="${phone}">${shown}</a>`, 'tap to call, grouped to read')
  t.notMatch(page.body, 'class="copy"', 'the copy button is added by the script only')
  for (const text of ['Алматы', 'ул. Абая 1, кв. 2', 'Elderly, Needs medical help', 'Айгуль', 'Русский', 'none yet'])
    t.match(page.body, text)
  t.notMatch(page.body, 'Серикова', "only the requester's first name")
  t.match(page.body, /<dt>People waiting for news<\/dt><dd>1<\/dd>/)
  // The service's zone, named; the script is told the same zone and label for later heartbeats.
  t.match(
    page.body,
    /<time id="lease-expires" datetime="[^"]+" data-time-zone="Asia\/Almaty" data-zone="UTC\+5">\d\d:\d\d \(UTC\+5\)</,
  )
  t.match(page.body, `data-heartbeat="/api/v1/tasks/${reference}/heartbeat"`)
  t.match(page.body, /<textarea id="messageToRequester" name="messageToRequester" maxlength="120"/)
  t.match(page.body, /<span id="message-left">120<\/span>\/120/)
  for (const outcome of ['reached_safe', 'reached_needs_help', 'no_answer', 'busy', 'wrong_number'])
    t.match(page.body, `name="outcome" value="${outcome}"`)

  const home = await vera.b.get('/volunteer')
  t.match(home.body, `You are working on request <span translate="no">${reference.slice(0, 4)}-${reference.slice(4)}</span>.`)
  t.notMatch(home.body, 'Сауле', 'the console shows no family detail')
  t.equal((await vera.b.post('/volunteer/claim')).headers.location, `/volunteer/task/${reference}`, 'the held one again')
  const audit = await app.db.query(
    'SELECT a.action FROM audit_events a JOIN requests r ON r.id = a.request_id WHERE r.reference = $1 ORDER BY a.id',
    [reference],
  )
  t.same(
    audit.rows.map((r) => r.action),
    ['task.claimed', 'task.read', 'task.read'],
    'the claim and each view of the card',
  )
})

t.test('an outcome with a message: back to the console, no details there; the requester is to be told', async (t) => {
  const { app, submit, signIn, claimTask, status } = await setup(t)
  const vera = await signIn({ lang: 'en' })
  const reference = await submit({ requester: { notifyVia: 'sms' }, relative: { name: 'Сауле' } })
  await claimTask(vera.b)

  const tooLong = await vera.b.post(`/volunteer/task/${reference}/outcome`, {
    outcome: 'reached_safe',
    messageToRequester: 'ж'.repeat(121),
    note: 'keep me',
  })
  t.equal(tooLong.statusCode, 400)
  t.match(
    tooLong.body,
    /aria-describedby="message-hint message-count messageToRequester-error" aria-invalid="true" autofocus>ж{121}</,
  )
  t.match(tooLong.body, /<p class="error" id="messageToRequester-error">This is too long.<\/p>/)
  t.match(tooLong.body, '>keep me</textarea>')
  t.equal(await status(reference), 'claimed', 'nothing recorded')

  const message = 'Мама дома, всё хорошо.\r\nПозвоните ей вечером.'
  const done = await vera.b.post(`/volunteer/task/${reference}/outcome`, [
    ['outcome', 'reached_needs_help'],
    ['needs', 'medicine'],
    ['needs', 'heating'],
    ['messageToRequester', message],
    ['note', 'Needs her pills by Friday'],
  ])
  t.equal(done.statusCode, 303)
  t.equal(done.headers.location, '/volunteer?done=reached_needs_help')
  const home = await vera.b.get('/volunteer?done=reached_needs_help')
  t.match(home.body, 'Saved: reached, needs help.')
  t.notMatch(home.body, /Сауле|tel:|Мама дома|You are working on/, 'no family details after the outcome')
  t.equal(await status(reference), 'reached_needs_help')
  const attempt = await app.db.query(
    'SELECT a.outcome, a.needs, a.message_to_requester, a.note FROM attempts a JOIN requests r ON r.id = a.request_id WHERE r.reference = $1',
    [reference],
  )
  t.same(attempt.rows, [
    {
      outcome: 'reached_needs_help',
      needs: ['medicine', 'heating'],
      message_to_requester: 'Мама дома, всё хорошо.\nПозвоните ей вечером.',
      note: 'Needs her pills by Friday',
    },
  ])
  const notes = await app.db.query(
    'SELECT n.kind, n.channel, n.message FROM notifications n JOIN requests r ON r.id = n.request_id WHERE r.reference = $1 ORDER BY n.id',
    [reference],
  )
  t.match(notes.rows, [
    { kind: 'received' },
    { kind: 'reached_needs_help', channel: 'sms' },
    { kind: 'message', channel: 'sms', message: /^Мама дома/ },
  ])

  const again = await vera.b.post(`/volunteer/task/${reference}/outcome`, { outcome: 'reached_safe' })
  t.equal(again.statusCode, 409, 'the lease is gone: a stale form')
  t.match(again.body, 'This request is no longer yours')
  const reopen = await vera.b.get(`/volunteer/task/${reference}`)
  t.equal(reopen.statusCode, 404)
  t.notMatch(reopen.body, 'Сауле')
  t.notMatch((await vera.b.get('/volunteer?done=no-such')).body, 'Saved', 'an unknown ?done= says nothing')
})

t.test('a refused outcome form: each field says what is wrong with it, nothing recorded', async (t) => {
  const { submit, signIn, claimTask, status } = await setup(t)
  const vera = await signIn({ lang: 'en' })
  const reference = await submit()
  await claimTask(vera.b)
  const error = (html: string, field: string) => new RegExp(`id="${field}-error">([^<]*)<`).exec(html)?.[1]

  const noOutcome = await vera.b.post(`/volunteer/task/${reference}/outcome`, { note: 'rang twice\u0007' })
  t.equal(noOutcome.statusCode, 400)
  t.equal(error(noOutcome.body, 'outcome'), 'Choose what happened.')
  t.equal(error(noOutcome.body, 'note'), 'Please check this field.', 'a control character: invalid, not too long')

  const badNeeds = await vera.b.post(`/volunteer/task/${reference}/outcome`, [
    ['outcome', 'reached_needs_help'],
    ['needs', 'teleport'],
    ['note', 'n'.repeat(1001)],
  ])
  t.equal(badNeeds.statusCode, 400)
  t.equal(error(badNeeds.body, 'needs'), 'Please check this field.')
  t.equal(error(badNeeds.body, 'note'), 'This is too long.')
  t.equal(error(badNeeds.body, 'outcome'), undefined, 'the outcome itself was fine')
  t.equal(await status(reference), 'claimed', 'nothing recorded')
})

t.test('no answer puts it back for later; release returns it to the queue at once', async (t) => {
  const { app, submit, signIn, claimTask, status } = await setup(t)
  const vera = await signIn({ lang: 'en' })
  const first = await submit()
  await claimTask(vera.b)
  const noAnswer = await vera.b.post(`/volunteer/task/${first}/outcome`, { outcome: 'no_answer' })
  t.equal(noAnswer.headers.location, '/volunteer?done=queued')
  t.match((await vera.b.get('/volunteer?done=queued')).body, 'The request goes back to the queue')
  t.equal(await status(first), 'queued')

  const second = await submit()
  const { reference } = await claimTask(vera.b)
  t.equal(reference, second, 'the retried one waits its back-off')
  const released = await vera.b.post(`/volunteer/task/${second}/release`)
  t.equal(released.statusCode, 303)
  t.equal(released.headers.location, '/volunteer?done=released')
  t.match(
    (await vera.b.get('/volunteer?done=released')).body,
    'The request went back to the queue; another volunteer can take it.',
  )
  t.equal(await status(second), 'queued')
  const events = await app.db.query(
    'SELECT e.type FROM request_events e JOIN requests r ON r.id = e.request_id WHERE r.reference = $1 ORDER BY e.id',
    [second],
  )
  t.same(
    events.rows.map((e) => e.type),
    ['received', 'queued', 'claimed', 'released'],
  )
  const again = await claimTask(vera.b)
  t.equal(again.reference, second, 'back in the queue, and claimed again')
  // Each earlier call's time in the service's zone, named.
  t.match(
    again.page.body,
    /<dt>Earlier calls<\/dt><dd><ol><li>\w{3} \d{1,2}, \d\d:\d\d \(UTC\+5\): given back without an outcome<\/li><\/ol>/,
  )
})

t.test('lease: the Extend form and the script’s heartbeat (cookie only) both extend it', async (t) => {
  const { app, submit, signIn, claimTask } = await setup(t)
  const vera = await signIn({ lang: 'en' })
  const reference = await submit()
  await claimTask(vera.b)
  const expiry = async () =>
    (
      await app.db.query('SELECT l.expires_at FROM leases l JOIN requests r ON r.id = l.request_id WHERE r.reference = $1', [
        reference,
      ])
    ).rows[0].expires_at as Date
  await app.db.query("UPDATE leases SET expires_at = now() + interval '5 seconds'")
  const extend = await vera.b.post(`/volunteer/task/${reference}/heartbeat`)
  t.equal(extend.statusCode, 303)
  t.equal(extend.headers.location, `/volunteer/task/${reference}?notice=extended`)
  t.ok((await expiry()).getTime() > Date.now() + 50_000, 'extended to the full lease')
  t.match((await vera.b.get(`/volunteer/task/${reference}?notice=extended`)).body, 'Your time is extended.')

  await app.db.query("UPDATE leases SET expires_at = now() + interval '5 seconds'")
  const beat = await app.inject({
    method: 'POST',
    url: `/api/v1/tasks/${reference}/heartbeat`,
    // As console.js sends it: the cookie's changes through the API must show they are same-origin.
    headers: { 'x-bailanys-csrf': '1' },
    cookies: { bailanys_session: vera.b.jar.bailanys_session as string },
  })
  t.equal(beat.statusCode, 200)
  t.ok(Date.parse(beat.json().leaseExpiresAt) > Date.now() + 50_000)
})

t.test('the bridged call: started, or a friendly word to use your own phone', async (t) => {
  const { fake, submit, signIn, claimTask } = await setup(t)
  const vera = await signIn({ lang: 'en' })
  const reference = await submit()
  await claimTask(vera.b)
  const call = await vera.b.post(`/volunteer/task/${reference}/call`)
  t.equal(call.statusCode, 303)
  t.equal(call.headers.location, `/volunteer/task/${reference}?notice=calling`)
  t.equal(fake.calls.at(-1)?.params.To, vera.phone, 'the service rings the volunteer')
  t.match((await vera.b.get(`/volunteer/task/${reference}?notice=calling`)).body, 'Your phone will ring in a moment.')

  fake.failNext({ status: 400, code: 21211, path: 'Calls' })
  const failed = await vera.b.post(`/volunteer/task/${reference}/call`)
  t.equal(failed.headers.location, `/volunteer/task/${reference}?notice=callFailed`)
  const page = await vera.b.get(`/volunteer/task/${reference}?notice=callFailed`)
  t.match(page.body, /role="alert">The service could not start the call. Please call from your own phone/)
})

t.test('abuse: no CSRF token is a 403 page; nobody opens or answers another’s task', async (t) => {
  const { app, submit, signIn, claimTask, status } = await setup(t)
  const vera = await signIn({ lang: 'en' })
  const nosy = await signIn({ lang: 'en' })
  const forged = await vera.b.post('/volunteer/availability', { available: 'false' }, { csrf: false })
  t.equal(forged.statusCode, 403)
  t.match(forged.headers['content-type'], 'text/html')
  t.match(forged.body, 'This page expired.')
  t.equal((await app.db.query('SELECT available FROM accounts WHERE id = $1', [vera.id])).rows[0].available, true)

  const reference = await submit({ relative: { name: 'Сауле' } })
  await claimTask(vera.b)
  const peek = await nosy.b.get(`/volunteer/task/${reference}`)
  t.equal(peek.statusCode, 404)
  t.match(peek.body, 'You cannot open this request')
  t.notMatch(peek.body, /Сауле|tel:/)
  await nosy.b.get('/volunteer')
  for (const action of ['outcome', 'release', 'heartbeat', 'call']) {
    const res = await nosy.b.post(`/volunteer/task/${reference}/${action}`, { outcome: 'wrong_number' })
    t.equal(res.statusCode, 409, `${action}: not theirs`)
  }
  t.equal((await nosy.b.get('/volunteer/task/not-a-reference')).statusCode, 404)
  t.equal(await status(reference), 'claimed', 'still Vera’s')
  const forgedOutcome = await vera.b.post(`/volunteer/task/${reference}/outcome`, { outcome: 'reached_safe' }, { csrf: false })
  t.equal(forgedOutcome.statusCode, 403)
  t.equal(await status(reference), 'claimed')
})

t.test('every page in kk, ru and en; no inline script or style anywhere', async (t) => {
  const { app, submit, signIn, browser, claimTask } = await setup(t)
  const texts = {
    kk: ['Еріктілерге кіру', 'Келесі өтінімді алу', 'Кімге қоңырау шалу керек', 'тіркелгіңізді әлі растаған жоқ'],
    ru: ['Вход для волонтёров', 'Взять следующую заявку', 'Кому звонить', 'ещё не подтвердил'],
    en: ['Volunteer login', 'Get the next request', 'Who to call', 'has not approved your account yet'],
  }
  for (const lang of ['kk', 'ru', 'en'] as const) {
    const [login, claim, who, pending] = texts[lang]
    const pages: [string, LightMyRequestResponse, string][] = []
    pages.push(['login', await browser(lang).get('/volunteer/login'), login as string])
    const vera = await signIn({ lang, languages: ['kk', 'ru', 'en'] })
    pages.push(['console', await vera.b.get('/volunteer'), claim as string])
    await submit()
    pages.push(['task', (await claimTask(vera.b)).page, who as string])
    pages.push(['pending', await (await signIn({ lang, approve: false })).b.get('/volunteer'), pending as string])
    for (const [name, res, text] of pages) {
      t.equal(res.statusCode, 200, `${lang} ${name}`)
      t.match(res.body, `<html lang="${lang}">`, `${lang} ${name}: the language`)
      t.match(res.body, text, `${lang} ${name}: the words`)
      t.notMatch(res.body, /page\.volunteer\./, `${lang} ${name}: no missing text`)
      assertNoInline(t, res.body, `${lang} ${name}`)
    }
  }
  const script = await app.inject({ url: '/assets/console.js' })
  t.equal(script.statusCode, 200)
  t.match(script.headers['content-type'], 'javascript')
  t.match(String((await app.inject({ url: '/volunteer/login' })).headers['content-security-policy']), "script-src 'self'")
})
