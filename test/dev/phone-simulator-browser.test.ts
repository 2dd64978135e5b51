import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { createFakeTwilio } from '../../dev/fake-twilio/server.js'
import { message } from '../../src/domain/messages/index.js'
import { axeProblems, foreignWords, hasChromium, launch, screenshotDir, sidewaysSpill } from '../browser/browser-helper.js'

const ACCOUNT = `AC${'3'.repeat(32)}`
const TOKEN = 'simulator-token'
const LANGUAGE_NAMES = ['Қазақша', 'Русский', 'English']
const LONG = 'Сәлеметсіз бе! Сіздің өтінішіңіз қабылданды: K7QM-4XTR. '.repeat(4)

/** Has the service (as the fake's client) text and call a number, through the fake's REST API. */
async function serviceSends(url: string, path: 'Messages' | 'Calls', params: Record<string, string>) {
  const res = await fetch(`${url}/2010-04-01/Accounts/${ACCOUNT}/${path}.json`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}` },
    body: new URLSearchParams(params),
  })
  if (res.status !== 201) throw new Error(`the fake refused: ${res.status}`)
}

if (!hasChromium) {
  t.test('the phone simulator in a browser', { skip: 'Debian Chromium is not installed' }, async () => {})
} else {
  t.test('the phone simulator on a 320 px phone: nothing spills, axe is clean, every word in its language', async (t) => {
    // A stand-in for the service's /twilio/sms: answers every text with one TwiML reply.
    const service = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/xml' })
      res.end('<?xml version="1.0" encoding="UTF-8"?><Response><Message>Request K7QM-4XTR accepted.</Message></Response>')
    })
    await new Promise<void>((done) => service.listen(0, '127.0.0.1', done))
    t.teardown(() => service.close())
    const fake = await createFakeTwilio({
      accountSid: ACCOUNT,
      authToken: TOKEN,
      webhookBaseUrl: `http://127.0.0.1:${(service.address() as AddressInfo).port}`,
    })
    t.teardown(() => fake.close())
    await serviceSends(fake.url, 'Messages', { To: '+77011234567', From: 'Bailanys', Body: LONG })
    await serviceSends(fake.url, 'Calls', {
      To: '+77011234567',
      From: '+15005550006',
      Twiml: '<Response><Say language="ru-RU">Мы дозвонились, всё хорошо.</Say><Play>https://x/kk.mp3</Play></Response>',
    })

    const browser = await launch(t)
    const shots = screenshotDir('phone-simulator')
    const context = await browser.newContext({ viewport: { width: 320, height: 740 }, bypassCSP: true })
    const page = await context.newPage()
    await page.goto(`${fake.url}/demo/phone?lang=ru`)
    // Text the service from the page itself, as a trainee would.
    await page.fill('#new-from', '8 702 555 11 22')
    await page.fill('#new-body', `+7 701 765 43 21 ${'Сауле Нурланова '.repeat(6)}Алматы`)
    await page.click('section.new button[type=submit]')
    await page.waitForURL(/#t77025551122$/)
    t.match(await page.textContent('#t77025551122'), 'Request K7QM-4XTR accepted.', 'the reply is in the thread')

    for (const lang of ['kk', 'ru', 'en'] as const) {
      await page.goto(`${fake.url}/demo/phone?lang=${lang}`)
      t.equal(await page.textContent('h1'), message(lang, 'demo.phone.title'))
      t.equal(await sidewaysSpill(page), 0, `${lang}: nothing spills sideways at 320 px`)
      t.same(await axeProblems(page), [], `${lang}: no serious accessibility problem`)
      t.same(await foreignWords(page, lang, LANGUAGE_NAMES), [], `${lang}: every word in ${lang}`)
      await page.screenshot({ path: join(shots, `phone-${lang}-320.png`), fullPage: true })
    }

    // A bad send: the error at its field, the focus there, the text kept.
    await page.fill('#new-body', 'HELP')
    await page.click('section.new button[type=submit]')
    t.equal(await page.textContent('#new-from-error'), message('en', 'page.error.required'))
    t.equal(await page.evaluate(() => document.activeElement?.id), 'new-from')
    t.equal(await page.inputValue('#new-body'), 'HELP')
    t.equal(await sidewaysSpill(page), 0, 'with errors: nothing spills')
  })
}
