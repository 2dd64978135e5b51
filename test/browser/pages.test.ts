import { join } from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import { closeCheckinsQueues, createCheckinsQueues } from '../../src/queues/checkins.js'
import { bullConnection } from '../../src/queues/connection.js'
import { createNotifyQueue } from '../../src/queues/notify.js'
import { createOutboxRelay } from '../../workers/outbox-relay.js'
import { coordinator, volunteer } from '../accounts-helper.js'
import { build, freePort, requestBody } from '../helper.js'
import { axeProblems, hasChromium, launch, screenshotDir } from './browser-helper.js'

if (!hasChromium) {
  t.test(
    'volunteer and coordinator pages in a browser',
    { skip: 'Debian Chromium is not installed (npm test installs it when run as root; CI does)' },
    async () => {},
  )
} else {
  t.test('volunteer and coordinator pages: kk, ru, en; phone and desktop; accessible', async (t) => {
    const port = await freePort()
    const { app, config } = await build(t, { PUBLIC_BASE_URL: `http://127.0.0.1:${port}` })
    await app.listen({ host: '127.0.0.1', port })
    const base = config.PUBLIC_BASE_URL
    const boss = await coordinator(app)
    const vera = await volunteer(app, boss, { languages: ['ru', 'kk', 'en'] })
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      payload: requestBody({ relative: { name: 'Гүлнар <b>Ахметова</b>' } }),
    })
    const reference = created.json().reference as string
    // The volunteer holds a task, so that its card is among the pages.
    const producer = { connection: bullConnection(config, 'producer'), prefix: config.BULLMQ_PREFIX }
    const checkins = createCheckinsQueues(producer)
    const notify = createNotifyQueue(producer)
    t.teardown(async () => {
      await closeCheckinsQueues(checkins)
      await notify.close()
    })
    await createOutboxRelay({ config, db: app.db, checkins, notify, log: pino({ level: 'silent' }) }).runOnce()
    const claimed = await app.inject({ method: 'POST', url: '/api/v1/tasks/claim', headers: vera.headers })
    t.equal(claimed.json().task.reference, reference)
    const browser = await launch(t)
    const shots = screenshotDir('pages')
    const pages: [string, string, string | null][] = [
      ['volunteer-login', '/volunteer/login', null],
      ['volunteer-console', '/volunteer', vera.headers.authorization.slice(7)],
      ['volunteer-task', `/volunteer/task/${reference}`, vera.headers.authorization.slice(7)],
      ['coordinator-dashboard', '/coordinator', boss.headers.authorization.slice(7)],
      ['coordinator-requests', '/coordinator/requests', boss.headers.authorization.slice(7)],
      ['coordinator-request', `/coordinator/requests/${reference}`, boss.headers.authorization.slice(7)],
      ['coordinator-duplicates', '/coordinator/duplicates', boss.headers.authorization.slice(7)],
      ['coordinator-volunteers', '/coordinator/volunteers', boss.headers.authorization.slice(7)],
    ]
    for (const lang of ['kk', 'ru', 'en'] as const) {
      for (const [device, width] of [
        ['phone', 360],
        ['desktop', 1280],
      ] as const) {
        // axe's script is injected into the page, which the CSP would refuse: this context bypasses it.
        const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true, locale: lang })
        await context.addCookies([{ name: 'lang', value: lang, url: base }])
        for (const [name, path, session] of pages) {
          await context.clearCookies({ name: 'bailanys_session' })
          if (session) await context.addCookies([{ name: 'bailanys_session', value: session, url: base }])
          const page = await context.newPage()
          const response = await page.goto(`${base}${path}`)
          t.equal(response?.status(), 200, `${name} ${lang} ${device}`)
          t.equal(await page.getAttribute('html', 'lang'), lang)
          await page.screenshot({ path: join(shots, `${name}-${lang}-${device}.png`), fullPage: true })
          t.same(await axeProblems(page), [], `${name} ${lang} ${device}: no serious accessibility problem`)
          if (name === 'coordinator-request' || name === 'volunteer-task') {
            t.match(await page.textContent('main'), 'Гүлнар <b>Ахметова</b>', "a stranger's markup shows as text")
          }
          await page.close()
        }
        await context.close()
      }
    }
  })
}
