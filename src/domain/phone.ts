import { parsePhoneNumberFromString } from 'libphonenumber-js/max'

/** Kinds of number a person can be called on. */
const CALLABLE = new Set(['MOBILE', 'FIXED_LINE', 'FIXED_LINE_OR_MOBILE', 'PERSONAL_NUMBER', 'VOIP'])
/** Kinds of number that can receive an SMS. */
const TEXTABLE = new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE', 'PERSONAL_NUMBER'])

export type PhoneResult =
  | { ok: true; e164: string; country: string | undefined; canSms: boolean }
  | { ok: false; reason: 'invalid_phone' }

/**
 * Normalises a phone number as people write it in Kazakhstan ("8 701 123 45 67",
 * "+7 (701) 123-45-67", "77011234567") or abroad ("+49 …") to E.164. Uses the full
 * metadata, which tells mobile from fixed line: a landline cannot get an SMS.
 */
export function normalisePhone(input: string, defaultCountry: 'KZ' = 'KZ'): PhoneResult {
  const text = input.trim()
  // Letters would be read as a vanity number by libphonenumber; people never mean that here.
  if (text.length === 0 || text.length > 32 || /[^\d\s()+\-./]/.test(text)) return { ok: false, reason: 'invalid_phone' }
  const parsed = parsePhoneNumberFromString(text, defaultCountry)
  if (!parsed?.isValid()) return { ok: false, reason: 'invalid_phone' }
  const type = parsed.getType()
  if (type !== undefined && !CALLABLE.has(type)) return { ok: false, reason: 'invalid_phone' }
  return { ok: true, e164: parsed.number, country: parsed.country, canSms: type === undefined || TEXTABLE.has(type) }
}
