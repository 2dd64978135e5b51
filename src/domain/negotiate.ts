import { LANGUAGES, type Language } from './request-states.js'

/**
 * The page language: an explicit choice (query or cookie) first, then the browser's
 * Accept-Language in its order of preference, then Russian, which nearly everyone reads.
 */
export function negotiateLanguage(options: { query?: string; cookie?: string; acceptLanguage?: string }): Language {
  for (const choice of [options.query, options.cookie]) {
    if (choice && (LANGUAGES as readonly string[]).includes(choice)) return choice as Language
  }
  const wanted = (options.acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().toLowerCase().split(';')
      const q = params.find((p) => p.trim().startsWith('q='))
      return { tag: (tag ?? '').split('-')[0] ?? '', q: q ? Number(q.trim().slice(2)) : 1 }
    })
    .filter((w) => w.tag && w.q > 0)
    .sort((a, b) => b.q - a.q)
  for (const { tag } of wanted) if ((LANGUAGES as readonly string[]).includes(tag)) return tag as Language
  return 'ru'
}
