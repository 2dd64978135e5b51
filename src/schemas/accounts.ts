import { z } from 'zod'
import { LANGUAGES } from '../domain/request-states.js'
import { IdParam, PhoneSchema, ProblemSchema, queryText, requiredText } from './common.js'

const Password = z.string().min(10, 'must be at least 10 characters').max(200, 'must be at most 200 characters')

export const AccountSchema = z.object({
  id: z.string(),
  role: z.enum(['volunteer', 'coordinator', 'partner']),
  name: z.string(),
  languages: z.array(z.enum(LANGUAGES)),
  status: z.enum(['pending', 'approved', 'suspended']),
  available: z.boolean(),
})

export const LoginRoute = {
  tags: ['accounts'],
  summary: 'Log in with a phone number or email and a password',
  body: z.strictObject({ login: queryText(200).min(1, 'is required'), password: z.string().min(1, 'is required').max(200) }),
  response: {
    200: z.object({ token: z.string(), expiresAt: z.string(), role: z.enum(['volunteer', 'coordinator', 'partner']) }),
    400: ProblemSchema,
    401: ProblemSchema,
    429: ProblemSchema,
  },
}

export const CreateVolunteerRoute = {
  tags: ['volunteers'],
  summary: 'Add a volunteer (coordinators); they can log in but see no request until approved',
  body: z.strictObject({
    name: requiredText(100),
    phone: PhoneSchema,
    email: z.email('must be an email address').max(200).optional(),
    languages: z
      .array(z.enum(LANGUAGES, { error: 'must be kk, ru or en' }))
      .min(1, 'needs at least one language')
      .max(3),
    password: Password,
  }),
  response: {
    201: z.object({ id: z.string(), status: z.literal('pending') }),
    400: ProblemSchema,
    401: ProblemSchema,
    403: ProblemSchema,
    409: ProblemSchema,
  },
}

export const VolunteerIdParams = z.object({ id: IdParam })

export const AvailabilityRoute = {
  tags: ['volunteers'],
  summary: 'Mark yourself available (or not) to claim requests',
  body: z.strictObject({ available: z.boolean({ error: 'must be true or false' }) }),
  response: { 200: AccountSchema, 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema },
}

export const EditVolunteerRoute = {
  tags: ['volunteers'],
  summary: "Edit a volunteer's name, email or languages (coordinators)",
  params: VolunteerIdParams,
  body: z
    .strictObject({
      name: requiredText(100).optional(),
      email: z.email('must be an email address').max(200).optional(),
      languages: z
        .array(z.enum(LANGUAGES, { error: 'must be kk, ru or en' }))
        .min(1, 'needs at least one language')
        .max(3)
        .optional(),
    })
    .refine((b) => Object.keys(b).length > 0, 'give at least one of name, email, languages'),
  response: { 200: AccountSchema, 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema },
}

export { Password }
