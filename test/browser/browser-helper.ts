import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import type { Test } from 'tap'

/** Debian's Chromium, never a downloaded browser build. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const hasChromium = existsSync(CHROMIUM)

/** Where screenshots go: test-output/screenshots (git-ignored), one folder per test file. */
export function screenshotDir(name: string): string {
  const dir = join(process.cwd(), 'test-output', 'screenshots', name)
  mkdirSync(dir, { recursive: true })
  return dir
}

/** Launches headless Chromium with a fresh profile, closed when the test ends. */
export async function launch(t: Test): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
  t.teardown(() => browser.close())
  return browser
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

type AxeViolation = { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }

/**
 * Runs axe-core in the page and returns the serious and critical violations. The page's CSP
 * forbids inline script, so the page must come from a context made with `bypassCSP: true`.
 */
export async function axeProblems(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource })
  const violations = (await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: unknown[] }> } })
      .axe
    const result = await axe.run(document, { resultTypes: ['violations'] })
    return result.violations
  })) as AxeViolation[]
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
}

/** How far the page reaches sideways beyond the viewport, px (0 when nothing spills). */
export async function sidewaysSpill(page: Page): Promise<number> {
  return page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth))
}

/**
 * Words on the page that are not in its language: a catalogue key left raw (`page.coord.x`,
 * `state.queued`), an English word on a kk/ru page, a Cyrillic word on an en page. Text inside
 * `<code>`, `<kbd>`, `<samp>`, `<input>`/`<textarea>` values, `[translate=no]` and `[data-any-language]`
 * is the user's or a machine's (references, phone numbers, names) and is not counted; nor are
 * the words in `allowed` (brand names, units).
 */
export async function foreignWords(page: Page, lang: 'kk' | 'ru' | 'en', allowed: string[] = []): Promise<string[]> {
  const words = await page.evaluate(() => {
    const skip = 'code, kbd, samp, script, style, noscript, textarea, [translate="no"], [data-any-language]'
    const out: string[] = []
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement
      if (!parent || parent.closest(skip)) continue
      const style = getComputedStyle(parent)
      if (style.display === 'none' || style.visibility === 'hidden') continue
      out.push(...(node.textContent ?? '').split(/[\s,.;:!?()«»"“”/|·—–-]+/).filter(Boolean))
    }
    for (const el of Array.from(document.querySelectorAll('[placeholder], [aria-label], [title], [alt]'))) {
      if (el.closest(skip)) continue
      for (const attribute of ['placeholder', 'aria-label', 'title', 'alt']) {
        const value = el.getAttribute(attribute)
        if (value) out.push(...value.split(/[\s,.;:!?()«»"“”/|·—–-]+/).filter(Boolean))
      }
    }
    return out
  })
  const ok = new Set(['Bailanys', 'SMS', 'OK', 'ID', 'UTC', 'CSV', 'PFIF', 'API', 'HTTP', 'BullMQ', 'Twilio', ...allowed])
  const rawKey = /^[a-z]+(\.[a-zA-Z_]+)+$/
  return [
    ...new Set(
      words.filter((w) => {
        if (ok.has(w) || /^[\d+#%:×]+/.test(w)) return false
        if (rawKey.test(w)) return true
        if (lang === 'en') return /\p{Script=Cyrillic}/u.test(w)
        return /^\p{Script=Latin}{2,}$/u.test(w)
      }),
    ),
  ]
}

/** Russian and Kazakh plural forms: the numbers every plural text should be checked with. */
export const PLURAL_SAMPLES = [1, 2, 5, 21] as const
