import { NEED_CATEGORIES } from '../db/partner-repository.js'
import { message } from '../domain/messages/index.js'
import type { Language } from '../domain/request-states.js'

type Form = Record<string, string | string[] | undefined>
const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? ''

/**
 * The task card's referral fields as the outcome schema takes them: only with reached_needs_help
 * and at least one category ticked; anything else is validated by OutcomeRoute like the API's body.
 */
export function referralOfForm(form: Form, outcome: string) {
  const categories = [form.referralCategories ?? []].flat()
  if (outcome !== 'reached_needs_help' || categories.length === 0) return undefined
  return { categories, note: first(form.referralNote).trim() || undefined, consent: first(form.referralConsent) === 'yes' }
}

/** What the task card shows of the referral fields, with the form's values kept after an error. */
export function referralView(language: Language, form: Form) {
  const chosen = [form.referralCategories ?? []].flat()
  return {
    categories: NEED_CATEGORIES.map((c) => ({
      value: c,
      label: message(language, `page.referral.category.${c}`),
      checked: chosen.includes(c),
    })),
    note: first(form.referralNote),
    consent: first(form.referralConsent) === 'yes',
  }
}
