import type { Flags } from '../domain/priority.js'
import type { Language, RequestState } from '../domain/request-states.js'
import type { Db } from './pool.js'

/** Rows read per query: a whole export never sits in memory, and no query holds a connection long. */
export const EXPORT_BATCH_SIZE = 1000

export type ExportFilter = { status?: RequestState; since?: Date }

/** What an export may show of anyone: present only when the coordinator asked for it. */
export type PersonalColumns = {
  requesterName: string | null
  requesterPhone: string | null
  relativeName: string | null
  relativeOtherNames: string[]
  relativePhone: string | null
  relativeAltPhone: string | null
  relativeCity: string | null
  relativeAddress: string | null
  relativeNotes: string | null
}

export type ExportRow = {
  id: string
  reference: string
  status: RequestState
  source: 'api' | 'web' | 'sms' | 'voice'
  requesterLanguage: Language
  notifyVia: 'sms' | 'voice'
  cityKey: string
  flags: Flags
  priority: number
  attempts: number
  requesters: number
  createdAt: Date
  updatedAt: Date
  closedAt: Date | null
  latestOutcome: string | null
  personal?: PersonalColumns
}

type Page<T> = (bounds: { afterId: string; upTo: string; limit: number }) => Promise<T[]>

/**
 * Keyset pagination in id order, up to the last id that existed when the export began: each
 * batch is one short query (a slow download holds no connection between them), and a request
 * created meanwhile does not stretch the export.
 */
async function* batches<T extends { id: string }>(db: Db, page: Page<T>, batchSize: number): AsyncGenerator<T[]> {
  const { rows } = await db.query<{ max: string | null }>('SELECT max(id)::text AS max FROM requests')
  const upTo = rows[0]?.max
  if (!upTo) return
  let afterId = '0'
  for (;;) {
    const batch = await page({ afterId, upTo, limit: batchSize })
    if (batch.length > 0) yield batch
    if (batch.length < batchSize) return
    afterId = (batch.at(-1) as T).id
  }
}

const WHERE = `r.id > $1::bigint AND r.id <= $2::bigint
  AND ($4::text IS NULL OR r.status = $4) AND ($5::timestamptz IS NULL OR r.created_at >= $5)`

// Personal columns are not even read unless asked for: what is not selected cannot leak.
const PERSONAL_SQL = `, r.requester_name, r.requester_phone, r.relative_name, r.relative_other_names, r.relative_phone,
  r.relative_alt_phone, r.relative_city, r.relative_address, r.relative_notes`

const CSV_SQL = (personal: boolean) => `
SELECT r.id::text, r.reference, r.status, r.source, r.requester_language, r.notify_via, r.city_key,
       r.flag_elderly, r.flag_medical, r.flag_children, r.flag_disability, r.priority, r.attempts,
       (SELECT count(*)::int FROM request_requesters q WHERE q.request_id = r.id) AS requesters,
       r.created_at, r.updated_at, r.closed_at,
       (SELECT e.data->>'outcome' FROM request_events e
        WHERE e.request_id = r.id AND e.type = 'outcome' ORDER BY e.id DESC LIMIT 1) AS latest_outcome
       ${personal ? PERSONAL_SQL : ''}
FROM requests r WHERE ${WHERE} ORDER BY r.id LIMIT $3`

/** Every request matching the filter, in batches, with personal columns only when `personal`. */
export function requestBatches(
  db: Db,
  options: { filter: ExportFilter; personal: boolean; batchSize?: number },
): AsyncGenerator<ExportRow[]> {
  const sql = CSV_SQL(options.personal)
  const { status, since } = options.filter
  return batches(
    db,
    async ({ afterId, upTo, limit }) => {
      const { rows } = await db.query<CsvDbRow>(sql, [afterId, upTo, limit, status ?? null, since ?? null])
      return rows.map((r) => toExportRow(r, options.personal))
    },
    options.batchSize ?? EXPORT_BATCH_SIZE,
  )
}

type CsvDbRow = {
  id: string
  reference: string
  status: RequestState
  source: ExportRow['source']
  requester_language: Language
  notify_via: ExportRow['notifyVia']
  city_key: string
  flag_elderly: boolean
  flag_medical: boolean
  flag_children: boolean
  flag_disability: boolean
  priority: number
  attempts: number
  requesters: number
  created_at: Date
  updated_at: Date
  closed_at: Date | null
  latest_outcome: string | null
  requester_name?: string | null
  requester_phone?: string | null
  relative_name?: string | null
  relative_other_names?: string[]
  relative_phone?: string | null
  relative_alt_phone?: string | null
  relative_city?: string | null
  relative_address?: string | null
  relative_notes?: string | null
}

function toExportRow(r: CsvDbRow, personal: boolean): ExportRow {
  return {
    id: r.id,
    reference: r.reference,
    status: r.status,
    source: r.source,
    requesterLanguage: r.requester_language,
    notifyVia: r.notify_via,
    cityKey: r.city_key,
    flags: { elderly: r.flag_elderly, medical: r.flag_medical, children: r.flag_children, disability: r.flag_disability },
    priority: r.priority,
    attempts: r.attempts,
    requesters: r.requesters,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    closedAt: r.closed_at,
    latestOutcome: r.latest_outcome,
    personal: personal
      ? {
          requesterName: r.requester_name ?? null,
          requesterPhone: r.requester_phone ?? null,
          relativeName: r.relative_name ?? null,
          relativeOtherNames: r.relative_other_names ?? [],
          relativePhone: r.relative_phone ?? null,
          relativeAltPhone: r.relative_alt_phone ?? null,
          relativeCity: r.relative_city ?? null,
          relativeAddress: r.relative_address ?? null,
          relativeNotes: r.relative_notes ?? null,
        }
      : undefined,
  }
}

/** A recorded call outcome (`request_events` of type `outcome`). */
export type OutcomeEvent = { id: string; outcome: string; at: Date }

/** What PFIF shares of a request: names and city only, never phones, address or notes. */
export type PfifRequest = {
  id: string
  reference: string
  createdAt: Date
  closedAt: Date | null
  relativeName: string
  relativeOtherNames: string[]
  relativeCity: string | null
  outcomes: OutcomeEvent[]
}

// Cancelled and merged requests seek nobody any more, and a purged one has no name left to share.
const PFIF_SQL = `
SELECT r.id::text, r.reference, r.created_at, r.closed_at, r.relative_name,
       r.relative_other_names, r.relative_city
FROM requests r
WHERE ${WHERE} AND r.status NOT IN ('cancelled', 'duplicate') AND r.purged_at IS NULL AND r.relative_name IS NOT NULL
ORDER BY r.id LIMIT $3`

/** The requests a PFIF export shares, in batches, each with its outcome events in order. */
export function pfifBatches(db: Db, options: { filter: ExportFilter; batchSize?: number }): AsyncGenerator<PfifRequest[]> {
  const { status, since } = options.filter
  return batches(
    db,
    async ({ afterId, upTo, limit }) => {
      const { rows } = await db.query(PFIF_SQL, [afterId, upTo, limit, status ?? null, since ?? null])
      if (rows.length === 0) return []
      const events = await db.query(
        `SELECT id::text, request_id::text, data->>'outcome' AS outcome, created_at FROM request_events
         WHERE request_id = ANY($1::bigint[]) AND type = 'outcome' AND data ? 'outcome' ORDER BY id`,
        [rows.map((r) => r.id)],
      )
      const outcomes = new Map<string, OutcomeEvent[]>()
      for (const e of events.rows) {
        const list = outcomes.get(e.request_id) ?? []
        list.push({ id: e.id, outcome: e.outcome, at: e.created_at })
        outcomes.set(e.request_id, list)
      }
      return rows.map((r) => ({
        id: r.id,
        reference: r.reference,
        createdAt: r.created_at,
        closedAt: r.closed_at,
        relativeName: r.relative_name,
        relativeOtherNames: r.relative_other_names,
        relativeCity: r.relative_city,
        outcomes: outcomes.get(r.id) ?? [],
      }))
    },
    options.batchSize ?? EXPORT_BATCH_SIZE,
  )
}
