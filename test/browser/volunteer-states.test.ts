import t from 'tap'
import { coordinator, volunteer } from '../accounts-helper.js'
import { build, freePort, requestBody, uniquePhone } from '../helper.js'
import { relayFor } from '../relay-helper.js'
import { hasChromium, launch, screenshotDir } from './browser-helper.js'
import { LANGS, LONG, pageChecker } from './states-helper.js'

if (!hasChromium) {
  t.test(
    'volunteer pages in every state',
    { skip: 'Debian Chromium is not installed (npm test installs it when run as root; CI does)' },
    async () => {},
  )
} else {
  t.test('the volunteer console and task card in every state, kk/ru/en, 320 and 360 px', async (t) => {
    const port = await freePort()
    const { app, config } = await build(t, { PUBLIC_BASE_URL: `http://127.0.0.1:${port}` })
    await app.listen({ host: '127.0.0.1', port })
    const base = config.PUBLIC_BASE_URL
    const { relay } = relayFor(t, app, config)
    const boss = await coordinator(app)
    const vera = await volunteer(app, boss, { languages: ['ru', 'kk', 'en'] })
    const resting = await volunteer(app, boss, { available: false })
    const pending = await volunteer(app, boss, { approve: false })
    const tokenOf = (account: { headers: { authorization: string } }) => account.headers.authorization.slice(7)

    // A family with everything at its longest, called once before without an answer.
    const body = requestBody({
      relative: { name: LONG.name, altPhone: uniquePhone(), city: LONG.city, address: LONG.address, notes: LONG.notes },
      flags: { elderly: true, medical: true, children: true, disability: true },
    })
    const { reference } = (await app.inject({ method: 'POST', url: '/api/v1/requests', payload: body })).json()
    await relay.runOnce()
    await app.db.query(
      `INSERT INTO attempts (request_id, account_id, outcome, started_at, finished_at)
       SELECT id, $2, 'no_answer', now() - interval '2 hours', now() - interval '2 hours' FROM requests WHERE reference = $1`,
      [reference, vera.id],
    )
    const claimed = await app.inject({ method: 'POST', url: '/api/v1/tasks/claim', headers: vera.headers })
    t.equal(claimed.json().task.reference, reference, 'the task to show')

    const browser = await launch(t)
    const shots = screenshotDir('volunteer-states')
    // axe's script is injected into the page, which the CSP would refuse: this context bypasses it.
    const context = await browser.newContext({ viewport: { width: 360, height: 800 }, bypassCSP: true })
    const page = await context.newPage()
    const as = async (token: string | null) => {
      await context.clearCookies({ name: 'bailanys_session' })
      if (token) await context.addCookies([{ name: 'bailanys_session', value: token, url: base }])
    }
    const check = pageChecker(t, page, shots)

    const states: [string, string, string | null][] = [
      ['login', '/volunteer/login', null],
      ['pending', '/volunteer', tokenOf(pending)],
      ['console-resting', '/volunteer', tokenOf(resting)],
      ['console-holding', '/volunteer', tokenOf(vera)],
      ['task', `/volunteer/task/${reference}`, tokenOf(vera)],
      ['task-calling', `/volunteer/task/${reference}?notice=calling`, tokenOf(vera)],
      ['console-empty', '/volunteer?empty=1', tokenOf(resting)],
      ['after-reached', '/volunteer?done=reached_needs_help', tokenOf(resting)],
      ['after-queued', '/volunteer?done=queued', tokenOf(resting)],
      ['after-last-try', '/volunteer?done=unreachable', tokenOf(resting)],
    ]
    for (const lang of LANGS) {
      await context.addCookies([{ name: 'lang', value: lang, url: base }])
      for (const [what, path, token] of states) {
        await as(token)
        const response = await page.goto(`${base}${path}`)
        t.equal(response?.status(), 200, `${what} ${lang}`)
        await check(what, lang, { shot: what.startsWith('task') || what === 'console-holding', axe: what === 'task' })
      }
      await as(tokenOf(vera))
      await page.goto(`${base}/volunteer/task/${reference}`)
      // The lease's end in the service's zone, named, by the server and again by the script.
      t.match(await page.textContent('#lease-expires'), /^\d\d:\d\d \(UTC\+5\)$/, `${lang}: the lease time, zone named`)
      t.match(await page.textContent('.facts ol'), /\(UTC\+5\)/, `${lang}: the earlier call's time, zone named`)
      // A message past the limit (typed around the counter): said at its field, what was typed kept.
      await page.evaluate(() => document.getElementById('messageToRequester')?.removeAttribute('maxlength'))
      await page.fill('#messageToRequester', 'Мама дома. '.repeat(15))
      await page.fill('#note', `${'Соседка'.repeat(40)} ${LONG.notes}`.slice(0, 1000))
      await Promise.all([page.waitForNavigation(), page.click('button[name=outcome][value=reached_safe]')])
      t.ok(await page.isVisible('#messageToRequester-error'), `${lang}: the error at the message`)
      await check('task-error', lang, { shot: true })
    }
    // After the outcome the holder's console, as the walk leaves it.
    await page.fill('#messageToRequester', 'Мама дома, всё хорошо')
    await Promise.all([page.waitForNavigation(), page.click('button[name=outcome][value=reached_safe]')])
    t.match(page.url(), /\/volunteer\?done=reached_safe$/)
    await check('after-outcome', 'en', { shot: true })
    await context.close()
  })
}
