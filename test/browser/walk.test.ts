import { join } from 'node:path'
import t from 'tap'
import { coordinator, PASSWORD, volunteer } from '../accounts-helper.js'
import { uniquePhone, waitFor } from '../helper.js'
import { stack } from '../twilio-helper.js'
import { axeProblems, hasChromium, launch, screenshotDir, sidewaysSpill } from './browser-helper.js'

if (!hasChromium) {
  t.test(
    'the walk in a browser',
    { skip: 'Debian Chromium is not installed (npm test installs it when run as root; CI does)' },
    async () => {},
  )
} else {
  t.test('requester, volunteer and coordinator each do their job in a browser', async (t) => {
    const { app, config, fake } = await stack(t)
    const base = config.PUBLIC_BASE_URL
    const browser = await launch(t)
    const shots = screenshotDir('walk')
    const boss = await coordinator(app)
    const vera = await volunteer(app, boss, { languages: ['ru', 'kk'], available: false })

    // The coordinator's dashboard is open all along, in another page.
    const coordContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ru' })
    await coordContext.addCookies([{ name: 'bailanys_session', value: boss.headers.authorization.slice(7), url: base }])
    const dashboard = await coordContext.newPage()
    await dashboard.goto(`${base}/coordinator?lang=ru`)
    await dashboard.waitForFunction(() => document.getElementById('live')?.textContent?.includes(':'), undefined, {
      timeout: 10_000,
    })
    const safeCount = () => dashboard.textContent('[data-k="counts.reached_safe"]')
    t.equal(await safeCount(), '0')

    // The requester: a bad form, then a good one, and the reference.
    const requester = await (await browser.newContext({ viewport: { width: 360, height: 800 }, locale: 'ru' })).newPage()
    await requester.goto(`${base}/?lang=ru`)
    const requesterPhone = uniquePhone()
    await requester.fill('#requesterName', 'Айгуль')
    await requester.fill('#requesterPhone', requesterPhone)
    await requester.fill('#relativeName', 'Сауле')
    await requester.fill('#relativePhone', 'не номер')
    await requester.fill('#city', 'Алматы')
    await requester.check('#consent')
    await requester.click('button[type=submit]')
    t.match(await requester.textContent('#relativePhone-error'), 'нельзя позвонить')
    await requester.fill('#relativePhone', uniquePhone())
    await requester.fill('#notes', 'Мама одна дома')
    await requester.click('button[type=submit]')
    const reference = ((await requester.textContent('.reference')) ?? '').trim()
    t.match(reference, /^[2-9A-Z]{4}-[2-9A-Z]{4}$/)

    // The volunteer: log in, go available, claim, record "reached_safe" with a message.
    const volunteerContext = await browser.newContext({ viewport: { width: 360, height: 800 }, locale: 'ru' })
    const console_ = await volunteerContext.newPage()
    await console_.goto(`${base}/volunteer/login?lang=ru`)
    await console_.fill('#login', vera.phone)
    await console_.fill('#password', PASSWORD)
    await console_.click('form[action="/volunteer/login"] button[type=submit]')
    await console_.waitForURL(`${base}/volunteer`)
    await console_.click('form[action="/volunteer/availability"] button[type=submit]')
    await console_.click('form[action="/volunteer/claim"] button[type=submit]')
    await console_.waitForURL(/\/volunteer\/task\//)
    t.match(await console_.textContent('main'), 'Мама одна дома', 'the task card has what the call needs')
    t.same(await axeOnCopy(console_), [], 'the task card: no serious accessibility problem')
    await console_.screenshot({ path: join(shots, 'volunteer-task-ru-phone.png'), fullPage: true })
    await console_.fill('#messageToRequester', 'Мама передаёт привет')
    await console_.click('button[name=outcome][value=reached_safe]')
    await console_.waitForURL(/\/volunteer\?done=/)
    t.notMatch(await console_.textContent('main'), 'Мама одна дома', "after the outcome the family's details leave the screen")

    // The dashboard updated by itself.
    await waitFor('the dashboard to show the outcome', async () => (await safeCount()) === '1', 10_000)
    t.pass('the dashboard updated without a reload')
    await dashboard.screenshot({ path: join(shots, 'coordinator-dashboard-ru-desktop.png'), fullPage: true })

    // The requester's status page shows the outcome.
    await requester.goto(`${base}/status?ref=${reference.replace('-', '')}`)
    await requester.fill('#phone', requesterPhone)
    await requester.click('button[type=submit]')
    t.match(await requester.textContent('[role=status]'), 'дозвонились, всё хорошо')
    // What the relative waits for: the volunteer's own words, and the outcome in plain words.
    t.equal((await requester.textContent('.volunteer-message blockquote'))?.trim(), 'Мама передаёт привет')
    t.match(await requester.textContent('#status-now'), 'Волонтёр дозвонился до вашего родного. С ним всё хорошо.')
    t.match(await requester.textContent('.status-calls'), 'Сделан 1 звонок.')
    t.equal(await sidewaysSpill(requester), 0, 'nothing spills sideways')
    await requester.screenshot({ path: join(shots, 'requester-status-ru-phone.png'), fullPage: true })

    // The requester's SMS about the outcome left through the fake Twilio, once.
    await waitFor('the outcome SMS', async () => fake.messages.filter((m) => m.params.To === requesterPhone).length >= 3, 15_000)
    await new Promise((r) => setTimeout(r, 500))
    const bodies = fake.messages.filter((m) => m.params.To === requesterPhone).map((m) => String(m.params.Body))
    t.equal(bodies.filter((b) => /С ним всё хорошо/.test(b)).length, 1, 'the outcome SMS, once')
    t.equal(bodies.filter((b) => /Мама передаёт привет/.test(b)).length, 1, "the volunteer's message, once")
    t.equal(bodies.length, 3, 'received + outcome + message, nothing twice')
  })
}

/**
 * axe needs its script in the page; the page's CSP forbids inline script, so it runs on a copy of
 * the page's HTML in a context that bypasses CSP (same markup, same styles).
 */
async function axeOnCopy(page: import('playwright-core').Page): Promise<string[]> {
  const html = await page.content()
  const context = await page
    .context()
    .browser()
    ?.newContext({ bypassCSP: true, viewport: page.viewportSize() ?? undefined })
  if (!context) return ['no browser']
  const copy = await context.newPage()
  await copy.goto(page.url())
  await copy.setContent(html, { waitUntil: 'load' })
  const problems = await axeProblems(copy)
  await context.close()
  return problems
}
