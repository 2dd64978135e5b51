import { join } from 'node:path'
import t from 'tap'
import { build, freePort, uniquePhone } from '../helper.js'
import { axeProblems, hasChromium, launch, screenshotDir } from './browser-helper.js'

if (!hasChromium) {
  t.test(
    'requester pages in a browser',
    { skip: 'Debian Chromium is not installed (npm test installs it when run as root; CI does)' },
    async () => {},
  )
} else {
  t.test('a requester in a real browser, in kk, ru and en, on a phone and a desktop', async (t) => {
    const port = await freePort()
    const { app } = await build(t, { PUBLIC_BASE_URL: `http://127.0.0.1:${port}` })
    await app.listen({ host: '127.0.0.1', port })
    const base = `http://127.0.0.1:${port}`
    const browser = await launch(t)
    const shots = screenshotDir('requester')

    for (const lang of ['kk', 'ru', 'en'] as const) {
      for (const [device, width] of [
        ['phone', 360],
        ['desktop', 1280],
      ] as const) {
        const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true, locale: lang })
        const page = await context.newPage()
        await page.goto(`${base}/?lang=${lang}`)
        t.equal(await page.getAttribute('html', 'lang'), lang, `${lang} ${device}: the language`)
        const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth)
        t.ok(scrollWidth <= width, `${lang} ${device}: no sideways scrolling (${scrollWidth}px)`)
        await page.screenshot({ path: join(shots, `form-${lang}-${device}.png`), fullPage: true })
        t.same(await axeProblems(page), [], `${lang} ${device}: no serious accessibility problem on the form`)
        await page.goto(`${base}/status`)
        await page.screenshot({ path: join(shots, `status-${lang}-${device}.png`), fullPage: true })
        t.same(await axeProblems(page), [], `${lang} ${device}: nor on the status page`)
        await context.close()
      }
    }

    // The walk of a requester, without JavaScript: a bad form, then a good one, then the status.
    const context = await browser.newContext({ viewport: { width: 360, height: 800 }, javaScriptEnabled: false, locale: 'ru' })
    const page = await context.newPage()
    await page.goto(`${base}/?lang=ru`)
    const requesterPhone = uniquePhone()
    await page.fill('#requesterName', 'Айгуль <b>жирный</b>')
    await page.fill('#requesterPhone', '123')
    await page.fill('#relativeName', 'Сауле')
    await page.fill('#relativePhone', uniquePhone())
    await page.fill('#city', 'Алматы')
    await page.click('button[type=submit]')
    t.match(await page.textContent('#requesterPhone-error'), 'нельзя позвонить', 'the error sits at the field')
    t.equal(await page.inputValue('#requesterName'), 'Айгуль <b>жирный</b>', 'what was typed is kept, as text')
    t.equal(await page.getAttribute('#requesterPhone', 'autofocus'), '', 'the first error gets the focus')
    await page.fill('#requesterPhone', requesterPhone)
    await page.check('#consent')
    await page.click('button[type=submit]')
    const reference = (await page.textContent('.reference'))?.trim() ?? ''
    t.match(reference, /^[2-9A-Z]{4}-[2-9A-Z]{4}$/, 'the reference, large')
    await page.screenshot({ path: join(shots, 'created-ru-phone.png'), fullPage: true })
    await page.click(`a[href^="/status?ref="]`)
    await page.fill('#phone', requesterPhone)
    await page.click('button[type=submit]')
    t.match(await page.textContent('[role=status]'), 'ждёт волонтёра')
    await context.close()
  })
}
