import { z } from 'zod'
import { INTAKE_MODES, NEED_CATEGORIES } from '../db/partner-repository.js'
import { LANGUAGES } from '../domain/request-states.js'
import { IdParam, PhoneSchema, queryText, requiredText, text } from './common.js'

export const PartnerIdParams = z.object({ id: IdParam })
export const PartnerKeyParams = z.object({ id: IdParam, keyId: IdParam })
export const ReferralIdParams = z.object({ id: IdParam })

const categories = z
  .array(z.enum(NEED_CATEGORIES, { error: `must be one of ${NEED_CATEGORIES.join(', ')}` }))
  .min(1)
  .max(6)
const languages = z
  .array(z.enum(LANGUAGES, { error: 'must be kk, ru or en' }))
  .min(1)
  .max(3)
/** Where a webhook goes: http(s) only, no credentials in the URL. */
const webhookUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .max(500)
  .refine((u) => !new URL(u).username && !new URL(u).password, 'must not carry credentials')

const PartnerFields = {
  name: requiredText(120),
  categories,
  /** City names in any usual spelling (normalised to the backlog's city keys). */
  regions: z.array(requiredText(80)).max(50),
  everywhere: z.boolean(),
  languages,
  intake: z.enum(INTAKE_MODES, { error: 'must be pages, webhook or both' }),
  webhookUrl: webhookUrl.nullable(),
  /** At least 16 characters; never shown again. */
  webhookSecret: z.string().min(16, 'must be at least 16 characters').max(200).nullable(),
  mayBeNamed: z.boolean(),
  active: z.boolean(),
}

const needsWebhook = (p: { intake?: string; webhookUrl?: string | null }) =>
  p.intake === undefined || p.intake === 'pages' || !!p.webhookUrl

export const PartnerBody = z
  .strictObject({
    ...PartnerFields,
    regions: PartnerFields.regions.default([]),
    everywhere: PartnerFields.everywhere.default(false),
    webhookUrl: PartnerFields.webhookUrl.default(null),
    webhookSecret: PartnerFields.webhookSecret.default(null),
    mayBeNamed: PartnerFields.mayBeNamed.default(false),
    active: PartnerFields.active.default(true),
  })
  .refine(needsWebhook, { message: 'a webhook intake needs webhookUrl', path: ['webhookUrl'] })
export const PartnerPatch = z
  .strictObject(PartnerFields)
  .partial()
  .refine((p) => p.intake === undefined || p.intake === 'pages' || p.webhookUrl !== null, {
    message: 'a webhook intake needs webhookUrl',
    path: ['webhookUrl'],
  })

export const PartnerAccountBody = z.strictObject({
  name: requiredText(120),
  phone: PhoneSchema,
  email: z.email().max(200).optional(),
  languages,
  password: z.string().min(12, 'must be at least 12 characters').max(200),
})

export const KeyBody = z.strictObject({ label: requiredText(80) })

/** The need referral a volunteer adds to `reached_needs_help`. */
export const ReferralInput = z.strictObject({
  categories,
  note: text(300).optional(),
  /** The family agreed that their name and phone go to the partner. */
  consent: z.boolean(),
})

export const AssignBody = z.strictObject({ partnerId: IdParam.nullable() })

/** A PFIF 1.4 note, as a search partner posts it back (field names as in PFIF). */
export const PfifNoteBody = z.strictObject({
  note_record_id: queryText(200).min(1),
  author_name: requiredText(120),
  source_date: z.iso.datetime({ error: 'must be a date like 2022-01-08T10:00:00Z' }),
  status: z
    .enum(['information_sought', 'is_note_author', 'believed_alive', 'believed_missing', 'believed_dead'], {
      error: 'must be a PFIF 1.4 status',
    })
    .optional(),
  author_made_contact: z.boolean().default(false),
  /** The person was found: with status believed_alive (or none), the request closes and the requester is told. */
  found: z.boolean().default(false),
  text: text(1000).optional(),
})

export const FeedQuery = z.object({
  since: z.iso.datetime({ error: 'must be a date like 2022-01-08T10:00:00Z' }).optional(),
})
export const DeliveriesQuery = z.object({ state: z.enum(['pending', 'delivered', 'dead']).default('dead') })
