import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import t from 'tap'
import type { RequestState } from '../../src/domain/request-states.js'
import { coordinator, volunteer } from '../accounts-helper.js'
import { seedStories } from '../backlog-seed.js'
import { build, freePort, requestBody } from '../helper.js'
import { relayFor } from '../relay-helper.js'
import { axeProblems, foreignWords, hasChromium, launch, PLURAL_SAMPLES, screenshotDir, sidewaysSpill } from './browser-helper.js'

const LANGS = ['kk', 'ru', 'en'] as const
type Lang = (typeof LANGS)[number]
/** The language switcher names each language in itself, on every page. */
const SWITCHER = ['Қазақша', 'Русский', 'English']
const LONG_NAME = 'Жұмабайқызы-Нұрсұлтанқызы-Сейітқасымова-Ахметова-Әбдірахманқызы Гүлнар'
const LONG_ADDRESS = `Қарасай ауданы, ${'Абылайхан-даңғылы-'.repeat(8)}үй 125/7, пәтер 48`

if (!hasChromium) {
  t.test('coordinator pages in every state', { skip: 'Debian Chromium is not installed' }, async () => {})
} else {
  t.test('every coordinator page, in every state, fits a phone and speaks the page’s language', async (t) => {
    const port = await freePort()
    const { app, config } = await build(t, { PUBLIC_BASE_URL: `http://127.0.0.1:${port}` })
    await app.listen({ host: '127.0.0.1', port })
    const base = config.PUBLIC_BASE_URL
    const { relay } = relayFor(t, app, config)
    const boss = await coordinator(app)
    const browser = await launch(t)
    const shots = screenshotDir('coordinator-states')
    const api = (method: 'POST' | 'PATCH', url: string, payload?: object, headers = boss.headers) =>
      app.inject({ method, url, payload, headers })
    const submit = async (overrides: Parameters<typeof requestBody>[0]) => {
      const res = await app.inject({ method: 'POST', url: '/api/v1/requests', payload: requestBody(overrides) })
      await relay.runOnce()
      return res.json().reference as string
    }

    /** Opens each path in each language at 320 and 360 px and checks what a phone shows. */
    async function everyPhone(state: string, paths: string[], more?: (page: Page, lang: Lang, path: string) => Promise<void>) {
      for (const lang of LANGS)
        for (const width of [320, 360]) {
          const page = await coordinatorPage(browser, base, boss, { lang, width })
          for (const path of paths) {
            await page.goto(`${base}${path}`)
            const label = `${state} ${path} ${lang} ${width}px`
            t.equal(await sidewaysSpill(page), 0, `${label}: nothing spills sideways`)
            t.same(await foreignWords(page, lang, SWITCHER), [], `${label}: every word in ${lang}`)
            await more?.(page, lang, path)
            if (width === 360 && lang === 'ru')
              await page.screenshot({ path: join(shots, `${state}${path.replace(/\W+/g, '-')}-ru.png`), fullPage: true })
          }
          await page.context().close()
        }
    }

    // An empty backlog: every page says there is nothing, rather than showing bare headers.
    await everyPhone('empty', ['/coordinator', '/coordinator/requests', '/coordinator/duplicates', '/coordinator/volunteers'])

    // People: a pending volunteer with a long name, one holding a call, one suspended; requests
    // with long names and addresses, a pair of possible duplicates, and one with a long history.
    const pending = await volunteer(app, boss, { approve: false, languages: ['ru'] })
    await api('PATCH', `/api/v1/volunteers/${pending.id}`, { name: LONG_NAME })
    const suspended = await volunteer(app, boss, { languages: ['en'] })
    await api('POST', `/api/v1/volunteers/${suspended.id}/suspend`)
    await submit({
      requester: { language: 'ru' },
      relative: { name: LONG_NAME, address: LONG_ADDRESS, notes: 'Ескерту. '.repeat(100), city: 'Жаңаталап ауылы' },
    })
    for (const name of ['Айгерім Сапарова', 'Aigerim Saparova'])
      await submit({ requester: { language: 'ru' }, relative: { name, city: 'Шымкент' } })
    const history = await submit({ requester: { language: 'kk' }, relative: { name: 'Сауле', city: 'Алма-Ата' } })
    for (let i = 0; i < 12; i++) await api('POST', `/api/v1/requests/${history}/priority`, { priority: i % 2 ? 3 : 8 })
    const kk = await volunteer(app, boss, { languages: ['kk'] })
    for (const step of ['claim', 'release', 'claim', 'outcome'])
      await api(
        'POST',
        step === 'claim' ? '/api/v1/tasks/claim' : `/api/v1/tasks/${history}/${step}`,
        step === 'outcome' ? { outcome: 'no_answer' } : undefined,
        kk.headers,
      )
    await api('POST', `/api/v1/requests/${history}/cancel`, { reason: 'Отбасы өздері тапты' })
    await api('POST', `/api/v1/requests/${history}/requeue`)
    const merged = await submit({ requester: { language: 'kk' }, relative: { name: 'Сәуле', city: 'Алматы' } })
    await api('POST', `/api/v1/requests/${merged}/merge`, { into: history })
    const holder = await volunteer(app, boss, { languages: ['ru'] })
    t.equal((await api('POST', '/api/v1/tasks/claim', undefined, holder.headers)).statusCode, 200, 'a volunteer holds a call')
    const events = await app.db.query(
      'SELECT count(*)::int AS n FROM request_events e JOIN requests r ON r.id = e.request_id WHERE r.reference = $1',
      [history],
    )
    t.ok(events.rows[0].n >= 20, `a long history (${events.rows[0].n} events)`)

    await everyPhone(
      'full',
      [
        '/coordinator',
        '/coordinator/requests',
        `/coordinator/requests/${history}`,
        '/coordinator/duplicates',
        '/coordinator/volunteers',
        `/coordinator/volunteers/${holder.id}/suspend`,
      ],
      async (page, lang, path) => {
        if (path === `/coordinator/requests/${history}`) {
          t.ok((await page.locator('ol.history li').count()) >= 20, `${lang}: the whole history, in words`)
        }
      },
    )

    // The add-volunteer form with errors: each at its field, in the page's language, values kept.
    for (const lang of LANGS)
      for (const width of [320, 360]) {
        const page = await coordinatorPage(browser, base, boss, { lang, width, javaScript: true })
        await page.goto(`${base}/coordinator/volunteers`)
        await page.fill('#vname', LONG_NAME)
        await page.fill('#vphone', '12')
        await page.fill('#vpassword', 'short')
        await page.click('form[action^="/coordinator/volunteers#"] button[type=submit]')
        const label = `add-volunteer errors ${lang} ${width}px`
        t.equal(await page.inputValue('#vname'), LONG_NAME, `${label}: the name kept`)
        t.equal(await page.getAttribute('#vphone', 'aria-invalid'), 'true')
        t.ok(await page.isVisible('#vpassword-error'), `${label}: the password error at its field`)
        t.ok(await page.isVisible('#vlanguages-error'))
        t.equal(await sidewaysSpill(page), 0, `${label}: nothing spills sideways`)
        t.same(await foreignWords(page, lang, SWITCHER), [], `${label}: every word in ${lang}`)
        if (lang === 'ru' && width === 320) t.same(await axeProblems(page), [], `${label}: accessible`)
        await page.context().close()
      }

    // Plurals: the longest wait in minutes, for the numbers every plural rule must be checked with.
    const minutes: Record<Lang, string[]> = {
      ru: ['1 минута', '2 минуты', '5 минут', '21 минута'],
      kk: ['1 минут', '2 минут', '5 минут', '21 минут'],
      en: ['1 minute', '2 minutes', '5 minutes', '21 minutes'],
    }
    for (const [i, n] of PLURAL_SAMPLES.entries()) {
      await app.db.query(
        `UPDATE requests SET created_at = CASE WHEN reference = $2 THEN now() - make_interval(mins => $1) - interval '10 seconds'
         ELSE now() END WHERE status IN ('received', 'queued')`,
        [n, history],
      )
      for (const lang of LANGS) {
        const page = await coordinatorPage(browser, base, boss, { lang, width: 360 })
        await page.goto(`${base}/coordinator`)
        t.equal(await page.textContent('.card:nth-child(2) .n'), minutes[lang][i], `${lang}: ${n}`)
        await page.context().close()
      }
    }

    // On a desktop the dashboard uses the width: the chart beside the numbers. A day's worth of
    // history makes the README's picture.
    await seedStories(app.db, demoStories())
    const desk = await coordinatorPage(browser, base, boss, { lang: 'ru', width: 1280, javaScript: true })
    await desk.goto(`${base}/coordinator`)
    await desk.waitForFunction(() => document.getElementById('live')?.textContent?.includes(':'), undefined, { timeout: 10_000 })
    const box = async (selector: string) => (await desk.locator(selector).boundingBox()) ?? { x: 0, width: 0, y: 0 }
    t.ok((await box('main')).width >= 1200, 'the dashboard is as wide as the screen allows')
    t.ok((await box('#chart')).x > (await box('#summary')).x + 500, 'the chart sits beside the numbers')
    t.same(await foreignWords(desk, 'ru', SWITCHER), [], 'live updates keep the page in its language')
    t.same(await axeProblems(desk), [], 'the dashboard with its chart: accessible')
    await desk.screenshot({ path: join(shots, 'coordinator-dashboard-ru-desktop.png'), fullPage: true })
  })
}

/** A page in a fresh context with the coordinator's session and the language chosen. */
async function coordinatorPage(
  browser: Browser,
  base: string,
  boss: { headers: { authorization: string } },
  options: { lang: Lang; width: number; javaScript?: boolean },
) {
  // axe's script goes into the page, which the CSP would refuse: these contexts bypass it.
  const context = await browser.newContext({
    viewport: { width: options.width, height: 800 },
    locale: options.lang,
    bypassCSP: true,
    javaScriptEnabled: options.javaScript ?? false,
  })
  await context.addCookies([
    { name: 'bailanys_session', value: boss.headers.authorization.slice(7), url: base },
    { name: 'lang', value: options.lang, url: base },
  ])
  return context.newPage()
}

/** Forty requests over the last twelve hours: arriving, waiting, called, answered. */
function demoStories() {
  return Array.from({ length: 40 }, (_, i) => {
    const startedMinutesAgo = 10 + ((i * 53) % 700)
    const wait = 20 + ((i * 37) % 90)
    const steps: [RequestState, number][] = [['queued', 1]]
    // Called and answered, or still waiting: a claim needs a live lease, which a story cannot have.
    if (wait + 12 < startedMinutesAgo - 2)
      steps.push(['claimed', wait], [i % 5 === 0 ? 'reached_needs_help' : 'reached_safe', wait + 12])
    return { startedMinutesAgo, priority: [2, 4, 10, 10][i % 4] as number, steps }
  })
}
