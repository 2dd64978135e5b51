import { z } from 'zod'
import { normalisePhone } from '../domain/phone.js'
import { hasControlCharacters, hasVisibleLetter, stripBidiControls } from '../domain/text.js'

/** The largest PostgreSQL `integer`: a bigger number would overflow the column or the cast. */
export const INT32_MAX = 2_147_483_647

/** Free text a person typed: bidi controls stripped, trimmed, bounded, without control characters. */
export function text(max: number) {
  return z
    .string()
    .overwrite(stripBidiControls)
    .trim()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !hasControlCharacters(s), 'must not contain control characters')
}

/** Text that must be there, with a letter a reader can see (names, cities). */
export function requiredText(max: number) {
  return text(max).superRefine((s, ctx) => {
    if (s.length === 0) ctx.addIssue({ code: 'custom', message: 'is required' })
    else if (!hasVisibleLetter(s)) ctx.addIssue({ code: 'custom', message: 'must contain a letter' })
  })
}

/**
 * A string taken as it is that reaches PostgreSQL (a query filter, a path's reference, a
 * login): bounded, and refused with a control character in it, since `text` cannot hold U+0000.
 */
export function queryText(max: number) {
  return z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !hasControlCharacters(s), 'must not contain control characters')
}

/** A whole number from a query string, within `min`..`max` (by default PostgreSQL's `integer`). */
export function queryInt(min: number, max = INT32_MAX) {
  const range = `must be a whole number from ${min} to ${max}`
  return z.coerce.number({ error: range }).int(range).min(min, range).max(max, range)
}

/**
 * A number in a signed Twilio callback (an error code, a duration). One that is missing, not
 * a number or past the column's range is dropped (undefined) rather than refused: the rest of
 * the callback is still worth recording, and Twilio does not resend a callback it got a 4xx for.
 */
export function callbackInt(max = INT32_MAX) {
  return z
    .unknown()
    .transform((value) => {
      if (typeof value !== 'string' || !/^\d{1,10}$/.test(value.trim())) return undefined
      const n = Number(value)
      return n <= max ? n : undefined
    })
    .optional()
}

/** A Twilio SID (`SM…`, `CA…`): letters and digits only, as every Twilio SID is. */
export const TwilioSid = z.string().regex(/^[A-Za-z0-9]{1,64}$/, 'must be a Twilio SID')

/** A status word in a Twilio callback (`delivered`, `no-answer`). */
export const TwilioStatus = z.string().regex(/^[A-Za-z_-]{1,32}$/, 'must be a Twilio status')

/** A database id in a path or query (`bigint`): up to 18 digits, always within its range. */
export const IdParam = z.string().regex(/^\d{1,18}$/, 'must be an id')

/**
 * A browser's form body as one string per field. A repeated field (`a=1&a=2`, an array once
 * parsed) keeps its first value, as the pages read it; anything that is not a string is dropped.
 */
export function singleValues(body: unknown): Record<string, string> {
  const fields: Record<string, string> = Object.create(null)
  if (typeof body !== 'object' || body === null) return fields
  for (const [key, value] of Object.entries(body)) {
    const first: unknown = Array.isArray(value) ? value[0] : value
    if (typeof first === 'string') fields[key] = first
  }
  return fields
}

/** A phone number as people write it, normalised to E.164 (default region KZ). */
export const PhoneSchema = z
  .string()
  .max(32, 'must be at most 32 characters')
  .transform((input, ctx) => {
    const result = normalisePhone(input)
    if (result.ok) return result
    ctx.addIssue({ code: 'custom', message: 'is not a valid mobile or fixed-line phone number' })
    return z.NEVER
  })

/** RFC 9457 problem details, as every error of the API is answered. */
export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  code: z.string(),
  instance: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
})

// A missing field reads "is required" rather than zod's "expected string, received undefined".
z.config({
  customError: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined),
})
