import t from 'tap'
import type { RequestState } from '../../src/domain/request-states.js'
import { coordinator } from '../accounts-helper.js'
import { build, freePort, requestBody, uniquePhone } from '../helper.js'
import { hasChromium, launch, PLURAL_SAMPLES, screenshotDir } from './browser-helper.js'
import { LANGS, type Lang, LONG, pageChecker } from './states-helper.js'

/** The words each language uses for 1, 2, 5 and 21 calls. */
const CALLS: Record<Lang, string[]> = {
  en: ['1 call made so far.', '2 calls made so far.', '5 calls made so far.', '21 calls made so far.'],
  ru: ['Сделан 1 звонок.', 'Сделано 2 звонка.', 'Сделано 5 звонков.', 'Сделан 21 звонок.'],
  kk: ['1 рет қоңырау шалынды.', '2 рет қоңырау шалынды.', '5 рет қоңырау шалынды.', '21 рет қоңырау шалынды.'],
}

type Stage = { name: string; status: RequestState; attempts: number; message?: string; retry?: boolean }
/** Every kind of result a requester can find; the attempt counts cover each plural form. */
const STAGES: Stage[] = [
  { name: 'waiting', status: 'received', attempts: 0 },
  { name: 'retry', status: 'queued', attempts: 1, retry: true, message: 'Не ответили, перезвоним вечером' },
  { name: 'claimed', status: 'claimed', attempts: 2 },
  { name: 'reached_safe', status: 'reached_safe', attempts: 2, message: LONG.message },
  { name: 'reached_needs_help', status: 'reached_needs_help', attempts: 5, message: 'Нужны лекарства от давления' },
  { name: 'wrong_number', status: 'wrong_number', attempts: 1 },
  { name: 'unreachable', status: 'unreachable', attempts: 21 },
  { name: 'cancelled', status: 'cancelled', attempts: 0 },
  { name: 'duplicate', status: 'duplicate', attempts: 0 },
]

if (!hasChromium) {
  t.test(
    'requester pages in every state',
    { skip: 'Debian Chromium is not installed (npm test installs it when run as root; CI does)' },
    async () => {},
  )
} else {
  t.test('every requester page and result, kk/ru/en, at 320 and 360 px: no spill, no foreign words', async (t) => {
    const port = await freePort()
    const { app, config } = await build(t, { PUBLIC_BASE_URL: `http://127.0.0.1:${port}` })
    await app.listen({ host: '127.0.0.1', port })
    const base = config.PUBLIC_BASE_URL
    const boss = await coordinator(app)
    const shots = screenshotDir('requester-states')

    /** A request put straight into a state, as the calls would have left it (the page only reads). */
    const staged = async (stage: Stage) => {
      const body = requestBody({ relative: { name: LONG.name, address: LONG.address, notes: LONG.notes } })
      const { reference } = (await app.inject({ method: 'POST', url: '/api/v1/requests', payload: body })).json()
      const { rows } = await app.db.query(
        'UPDATE requests SET status = $2, attempts = $3, updated_at = now() WHERE reference = $1 RETURNING id',
        [reference, stage.status, stage.attempts],
      )
      const id = rows[0].id
      // Earlier unanswered calls, or the call that gave the final outcome.
      const outcome = ['reached_safe', 'reached_needs_help', 'wrong_number'].includes(stage.status) ? stage.status : 'no_answer'
      if (stage.attempts > 0) {
        await app.db.query(
          `INSERT INTO attempts (request_id, account_id, outcome, message_to_requester, finished_at)
           VALUES ($1, $2, $3, $4, now())`,
          [id, boss.id, outcome, stage.message ?? null],
        )
        await app.db.query(
          `INSERT INTO request_events (request_id, type, from_status, to_status, actor_type, data)
           VALUES ($1, 'outcome', 'claimed', $2, 'volunteer', jsonb_build_object('outcome', $3::text, 'attempt', $4::int))`,
          [
            id,
            stage.status === 'claimed' ? 'queued' : stage.status,
            stage.status === 'unreachable' ? 'unreachable' : outcome,
            stage.attempts,
          ],
        )
      }
      return { ...stage, reference: reference as string, phone: body.requester.phone }
    }
    const requests = await Promise.all(STAGES.map(staged))

    const browser = await launch(t)
    // axe's script is injected into the page, which the CSP would refuse: this context bypasses it.
    const context = await browser.newContext({ viewport: { width: 360, height: 800 }, bypassCSP: true })
    const page = await context.newPage()
    const check = pageChecker(t, page, shots)
    const lookUp = async (reference: string, phone: string) => {
      await page.goto(`${base}/status?ref=${reference}`)
      await page.fill('#phone', phone)
      await Promise.all([page.waitForNavigation(), page.click('form.status-form button[type=submit]')])
    }

    for (const lang of LANGS) {
      await context.addCookies([{ name: 'lang', value: lang, url: base }])
      await page.goto(`${base}/?lang=${lang}`)
      await check('form', lang, { shot: true })
      await Promise.all([page.waitForNavigation(), page.click('form[action="/"] button[type=submit]')])
      t.equal(
        await page.textContent('#requesterPhone-error'),
        await page.textContent('#requesterName-error'),
        'an empty phone: fill it in',
      )
      await check('form-errors', lang, { shot: true, axe: true })

      // Everything at its longest, and one mistake, so the form comes back with all of it.
      await page.fill('#requesterName', LONG.name)
      await page.fill('#requesterPhone', uniquePhone())
      await page.fill('#relativeName', LONG.name)
      await page.fill('#relativePhone', 'не номер')
      await page.fill('#relativeAltPhone', uniquePhone())
      await page.fill('#city', 'Усть-Каменогорск (Өскемен), Восточно-Казахстанская область')
      await page.fill('#address', LONG.address)
      await page.fill('#notes', LONG.notes)
      await page.check('#consent')
      await Promise.all([page.waitForNavigation(), page.click('form[action="/"] button[type=submit]')])
      t.equal(await page.inputValue('#address'), LONG.address, 'the long values are kept')
      await check('form-long', lang)
      await page.fill('#relativePhone', uniquePhone())
      await Promise.all([page.waitForNavigation(), page.click('form[action="/"] button[type=submit]')])
      t.match(await page.textContent('.reference'), /^[2-9A-Z]{4}-[2-9A-Z]{4}$/)
      await check('created', lang)

      await page.goto(`${base}/status`)
      await check('status', lang)
      await lookUp('ZZZZ2222', uniquePhone())
      await check('status-not-found', lang)

      for (const request of requests) {
        await lookUp(request.reference, request.phone)
        t.equal(await page.getAttribute('.status-result', 'role'), 'status', `${request.name} ${lang}: a result`)
        await check(`status-${request.name}`, lang, { shot: true, axe: lang === 'ru' })
        const calls = (await page.textContent('.status-calls'))?.trim()
        const sample = PLURAL_SAMPLES.indexOf(request.attempts as (typeof PLURAL_SAMPLES)[number])
        if (sample >= 0) t.equal(calls, CALLS[lang][sample], `${lang}: ${request.attempts} calls in words`)
        if (request.message) t.equal((await page.textContent('.volunteer-message blockquote'))?.trim(), request.message)
        if (request.retry) t.match(await page.textContent('.status-next'), /\d\d:\d\d \(UTC\+5\)/, 'the next try, in the zone')
        t.match(await page.textContent('.status-facts'), /\(UTC\+5\)/, 'the last change, in the zone')
      }
    }
    await context.close()
  })
}
