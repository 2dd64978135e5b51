import { z } from 'zod'
import { LANGUAGES, REQUEST_STATES } from '../domain/request-states.js'
import { queryInt, queryText } from './common.js'

/** A request named in a coordinator's path or body: its reference as typed. */
export const RequestRefParams = z.object({ id: queryText(32).min(1) })

/**
 * `GET /api/v1/requests` filters. Bounds follow the columns they are compared with: `priority`
 * is a smallint checked 1..100, ages go to `make_interval(mins => $n::int)`.
 */
export const RequestListQuery = z.strictObject({
  state: z.enum(REQUEST_STATES).optional(),
  city: queryText(100).optional(),
  language: z.enum(LANGUAGES).optional(),
  priority: queryInt(1, 100).optional(),
  minAgeMinutes: queryInt(0).optional(),
  maxAgeMinutes: queryInt(0).optional(),
  reference: queryText(16).optional(),
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, 'must be a cursor from nextCursor')
    .optional(),
  limit: queryInt(1, 200).default(50),
})

export type RequestListFilters = z.infer<typeof RequestListQuery>
type Filter = Exclude<keyof RequestListFilters, 'limit'>

/**
 * The dashboard's filters read by the same rules, leniently: a filter that breaks its rule is
 * left out (the page lists without it) rather than refused, and never reaches PostgreSQL.
 */
export function lenientListFilters(query: Partial<Record<Filter, string>>): Partial<Omit<RequestListFilters, 'limit'>> {
  const filters: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(query)) {
    if (!value) continue
    const parsed = RequestListQuery.shape[key as Filter]?.safeParse(value)
    if (parsed?.success && parsed.data !== undefined) filters[key] = parsed.data
  }
  return filters as Partial<Omit<RequestListFilters, 'limit'>>
}
