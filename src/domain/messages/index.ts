import { IntlMessageFormat } from 'intl-messageformat'
import type { Language } from '../request-states.js'
import { en, type MessageKey } from './en.js'
import { kk } from './kk.js'
import { ru } from './ru.js'

export type { MessageKey }

/** The one catalogue: every user-facing text in kk, ru and en. */
export const CATALOGUE: Record<Language, Record<MessageKey, string>> = { kk, ru, en }

const compiled = new Map<string, IntlMessageFormat>()

/** A text in a language, with its ICU placeholders (plurals included) filled in. */
export function message(language: Language, key: MessageKey, params: Record<string, string | number> = {}): string {
  const id = `${language}:${key}`
  let format = compiled.get(id)
  if (!format) {
    format = new IntlMessageFormat(CATALOGUE[language][key], language)
    compiled.set(id, format)
  }
  return String(format.format(params))
}
