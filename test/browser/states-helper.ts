import { join } from 'node:path'
import type { Page } from 'playwright-core'
import type { Test } from 'tap'
import { axeProblems, foreignWords, sidewaysSpill } from './browser-helper.js'

export const LANGS = ['kk', 'ru', 'en'] as const
export type Lang = (typeof LANGS)[number]
/** The phones the pages must fit: the narrowest still sold, and the most common. */
export const WIDTHS = [320, 360] as const
/** The language names in the switcher are each in its own language, on every page. */
export const LANGUAGE_NAMES = ['Қазақша', 'Русский', 'English']

/** The longest things people can type, with words too long for a 320-px line. */
export const LONG = {
  name: `Гүлнар-Айгерім ${'Нұрсұлтанқызы'.repeat(6)}`.slice(0, 100),
  address: `${'Абылайхан даңғылы 125, '.repeat(10)}${'кв'.repeat(60)}`.slice(0, 300),
  notes: `Мама плохо слышит, звоните громко.\n${'https://example.kz/'.padEnd(200, 'x')} `.repeat(5).slice(0, 1000),
  city: 'Усть-Каменогорск (Өскемен), Восточно-Казахстанская область',
  message: `Мама дома, всё хорошо, передаёт привет. ${'Очень'.repeat(20)}`.slice(0, 120),
}

/** The elements reaching past the viewport, to say what spilled when something does. */
export function spillers(page: Page): Promise<string> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('body *'))
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} to ${Math.round(el.getBoundingClientRect().right)}px`)
      .join(', '),
  )
}

/**
 * Checks the page as it stands at each of WIDTHS: nothing past the viewport, every word in the
 * page's language; a screenshot at the last width and axe on request.
 */
export function pageChecker(t: Test, page: Page, shots: string) {
  return async (what: string, lang: Lang, options: { shot?: boolean; axe?: boolean } = {}) => {
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 800 })
      const spill = await sidewaysSpill(page)
      t.equal(spill, 0, `${what} ${lang} ${width}px: no sideways spill${spill ? ` (${await spillers(page)})` : ''}`)
      t.same(await foreignWords(page, lang, LANGUAGE_NAMES), [], `${what} ${lang} ${width}px: all in ${lang}`)
    }
    if (options.shot) await page.screenshot({ path: join(shots, `${what}-${lang}-${WIDTHS.at(-1)}.png`), fullPage: true })
    if (options.axe) t.same(await axeProblems(page), [], `${what} ${lang}: no serious accessibility problem`)
  }
}
