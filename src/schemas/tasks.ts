import { z } from 'zod'
import { LANGUAGES } from '../domain/request-states.js'
import { ProblemSchema, queryText, text } from './common.js'
import { ReferralInput } from './partners.js'

const TaskSchema = z.object({
  reference: z.string(),
  priority: z.number(),
  flags: z.object({ elderly: z.boolean(), medical: z.boolean(), children: z.boolean(), disability: z.boolean() }),
  relative: z.object({
    name: z.string().nullable(),
    relation: z.string().nullable(),
    otherNames: z.array(z.string()),
    phone: z.string().nullable(),
    altPhone: z.string().nullable(),
    city: z.string().nullable(),
    address: z.string().nullable(),
    notes: z.string().nullable(),
  }),
  requester: z.object({ firstName: z.string().nullable(), language: z.enum(LANGUAGES) }),
  requesters: z.number(),
  attempts: z.array(z.object({ at: z.string(), outcome: z.string().nullable() })),
  /** What a voice caller recorded: GET /api/v1/tasks/{id}/recordings/{kind} plays it. */
  recordings: z.array(z.enum(['place', 'name'])),
  leaseExpiresAt: z.string(),
})

const errors = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema }
export const TaskParams = z.object({ id: queryText(32).min(1) })

export const ClaimRoute = {
  tags: ['tasks'],
  summary: 'Claim the next request you can serve (204 when nothing fits)',
  response: { 200: z.object({ task: TaskSchema, leaseExpiresAt: z.string() }), 204: z.null(), ...errors },
}

export const GetTaskRoute = {
  tags: ['tasks'],
  summary: 'Your current task (audited)',
  params: TaskParams,
  response: { 200: TaskSchema, ...errors },
}

export const HeartbeatRoute = {
  tags: ['tasks'],
  summary: 'Extend your lease',
  params: TaskParams,
  response: { 200: z.object({ leaseExpiresAt: z.string() }), ...errors },
}

export const ReleaseRoute = {
  tags: ['tasks'],
  summary: 'Give the task back to the queue',
  params: TaskParams,
  response: { 204: z.null(), ...errors },
}

export const NEEDS = ['food', 'water', 'medicine', 'medical_care', 'heating', 'evacuation', 'money', 'other'] as const

export const OutcomeRoute = {
  tags: ['tasks'],
  summary: 'Record the outcome of your call',
  params: TaskParams,
  body: z.strictObject({
    outcome: z.enum(['reached_safe', 'reached_needs_help', 'no_answer', 'busy', 'wrong_number'], {
      error: 'must be reached_safe, reached_needs_help, no_answer, busy or wrong_number',
    }),
    needs: z
      .array(z.enum(NEEDS, { error: `must be one of ${NEEDS.join(', ')}` }))
      .max(NEEDS.length)
      .optional(),
    messageToRequester: text(120).optional(),
    note: text(1000).optional(),
    /** With reached_needs_help: the needs to pass on to a partner, and the family's consent. */
    referral: ReferralInput.optional(),
  }),
  response: {
    200: z.object({ status: z.string(), attempts: z.number(), nextAttemptAt: z.string().nullable() }),
    ...errors,
  },
}

export const CallRoute = {
  tags: ['tasks'],
  summary: 'Call the relative through the service: your phone rings, then you are bridged (masked numbers)',
  params: TaskParams,
  response: { 202: z.object({ callSid: z.string() }), 502: ProblemSchema, ...errors },
}
