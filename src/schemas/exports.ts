import { z } from 'zod'
import { REQUEST_STATES, type RequestState } from '../domain/request-states.js'
import { ProblemSchema } from './common.js'

/** A day (`2022-01-05`, midnight UTC) or an instant with its offset (`2022-01-05T10:00:00+06:00`). */
const SinceSchema = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], { error: 'must be an ISO date or date-time, like 2022-01-05' })
  .transform((s) => new Date(s))

const filters = {
  status: z.enum(REQUEST_STATES, { error: `must be one of ${REQUEST_STATES.join(', ')}` }).optional(),
  since: SinceSchema.optional(),
}

/** `GET /api/v1/export/requests.csv` query: personal columns only when asked for by name. */
export const CsvExportQuery = z.strictObject({
  personal: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('false')
    .transform((v) => v === 'true'),
  ...filters,
})
export type CsvExportFilter = z.infer<typeof CsvExportQuery>

/** States worth telling a person finder about: a cancelled or merged request asks nothing any more. */
export const PFIF_STATES = [
  'received',
  'queued',
  'claimed',
  'reached_safe',
  'reached_needs_help',
  'wrong_number',
  'unreachable',
] as const satisfies readonly Exclude<RequestState, 'cancelled' | 'duplicate'>[]

/** `GET /api/v1/export/pfif` query: no `personal`, since PFIF is names by nature. */
export const PfifExportQuery = z.strictObject({
  status: z.enum(PFIF_STATES, { error: `must be one of ${PFIF_STATES.join(', ')}` }).optional(),
  since: filters.since,
})
export type PfifExportFilter = z.infer<typeof PfifExportQuery>

const errors = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema }

export const CsvExportRoute = {
  tags: ['exports'],
  summary: 'All requests as CSV, streamed (coordinators; audited). Personal columns only with personal=true',
  querystring: CsvExportQuery,
  response: { 200: z.string().describe('text/csv, UTF-8 with a BOM, one row per request'), ...errors },
}

export const PfifExportRoute = {
  tags: ['exports'],
  summary: 'Requests as PFIF 1.4 persons with their outcomes as notes, streamed (coordinators; audited)',
  querystring: PfifExportQuery,
  response: { 200: z.string().describe('application/xml, PFIF 1.4 (http://zesty.ca/pfif/1.4)'), ...errors },
}

const REFERRAL_STATES = ['offered', 'accepted', 'done', 'unassigned'] as const

/** `GET /api/v1/export/referrals.csv` query: the same `personal` switch and `since` as the requests' export. */
export const ReferralExportQuery = z.strictObject({
  personal: CsvExportQuery.shape.personal,
  state: z.enum(REFERRAL_STATES, { error: `must be one of ${REFERRAL_STATES.join(', ')}` }).optional(),
  since: filters.since,
})

export const ReferralExportRoute = {
  tags: ['exports'],
  summary: 'Referrals to partners as CSV, streamed (coordinators; audited). The note only with personal=true',
  querystring: ReferralExportQuery,
  response: { 200: z.string().describe('text/csv, UTF-8 with a BOM, one row per referral'), ...errors },
}
