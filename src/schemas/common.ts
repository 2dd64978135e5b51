import { z } from 'zod'
import { normalisePhone } from '../domain/phone.js'

// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/

/** Free text a person typed: trimmed, bounded, without control characters. */
export function text(max: number) {
  return z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters')
}

/** Text that must be there. */
export function requiredText(max: number) {
  return text(max).refine((s) => s.length > 0, 'is required')
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
