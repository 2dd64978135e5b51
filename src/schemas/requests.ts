import { z } from 'zod'
import { LANGUAGES, REQUEST_STATES } from '../domain/request-states.js'
import { PhoneSchema, ProblemSchema, queryText, requiredText, text } from './common.js'

const RequesterSchema = z
  .strictObject({
    name: requiredText(100),
    phone: PhoneSchema,
    language: z.enum(LANGUAGES, { error: 'must be one of kk, ru, en' }),
    notifyVia: z.enum(['sms', 'voice'], { error: 'must be sms or voice' }),
  })
  .superRefine((r, ctx) => {
    if (r.notifyVia === 'sms' && r.phone.ok && !r.phone.canSms) {
      ctx.addIssue({ code: 'custom', path: ['phone'], message: 'cannot receive SMS: give a mobile number or choose voice' })
    }
  })

const RelativeSchema = z.strictObject({
  name: requiredText(100),
  phone: PhoneSchema,
  altPhone: PhoneSchema.optional(),
  city: requiredText(100),
  address: text(300).optional(),
  notes: text(1000).optional(),
})

const FlagsSchema = z.strictObject({
  elderly: z.boolean().default(false),
  medical: z.boolean().default(false),
  children: z.boolean().default(false),
  disability: z.boolean().default(false),
})

/** The body of `POST /api/v1/requests`. */
export const CreateRequestSchema = z.strictObject({
  requester: RequesterSchema,
  relative: RelativeSchema,
  flags: FlagsSchema.default({ elderly: false, medical: false, children: false, disability: false }),
  consent: z.literal(true, { error: 'must be true: the requester agrees to the data notice' }),
})
export type CreateRequest = z.infer<typeof CreateRequestSchema>

export const CreatedSchema = z.object({
  reference: z.string(),
  status: z.enum(REQUEST_STATES),
  statusUrl: z.string(),
  /** True when this requester was linked to another requester's open request about the same relative. */
  linked: z.boolean(),
})

export const CreateRequestRoute = {
  tags: ['requests'],
  summary: 'Ask for a check-in call to a relative',
  body: CreateRequestSchema,
  response: {
    201: CreatedSchema.describe('The request is committed'),
    200: CreatedSchema.describe('The relative already has an open request: this requester is on it (linked: true if just added)'),
    400: ProblemSchema,
    413: ProblemSchema,
    415: ProblemSchema,
    422: ProblemSchema,
    429: ProblemSchema,
  },
}

export const RequestStatusSchema = z.object({
  reference: z.string(),
  status: z.enum(REQUEST_STATES),
  createdAt: z.string(),
  updatedAt: z.string(),
  latestOutcome: z.object({ outcome: z.string(), at: z.string() }).nullable(),
  /** Calls made so far with a recorded outcome. */
  attempts: z.number().int(),
  /** The volunteer's message to the requester on the latest call with an outcome (never their note). */
  messageToRequester: z.string().nullable(),
  /** When the next call may start, while the request waits out the delay after an unanswered call. */
  nextAttemptAt: z.string().nullable(),
})
export type RequestStatus = z.infer<typeof RequestStatusSchema>

/** What a coordinator reads of one request (audited): details, requesters, attempts, notifications, history. */
export const CoordinatorRequestSchema = z.looseObject({
  id: z.string(),
  reference: z.string(),
  status: z.enum(REQUEST_STATES),
  relative: z.looseObject({}),
  requesters: z.array(z.looseObject({})),
  callAttempts: z.array(z.looseObject({})),
  notifications: z.array(z.looseObject({})),
  events: z.array(z.looseObject({})),
})

export const RequestStatusRoute = {
  tags: ['requests'],
  summary: "A request's status for its requester (with ?phone), or in full for a coordinator (with a session, audited)",
  params: z.object({ reference: queryText(32) }),
  querystring: z.object({ phone: queryText(32).min(1, 'is required').optional() }),
  response: {
    200: z.union([CoordinatorRequestSchema, RequestStatusSchema]),
    400: ProblemSchema,
    401: ProblemSchema,
    403: ProblemSchema,
    404: ProblemSchema,
    429: ProblemSchema,
  },
}
