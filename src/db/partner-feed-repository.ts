import type { OutcomeEvent, PfifRequest } from './export-repository.js'
import type { Db } from './pool.js'

export type SearchRecord = PfifRequest & { referralId: string; changedAt: Date }

/**
 * The search cases of a partner as PFIF persons: changed after `since` (the case or its request),
 * or the one case `referralId`; oldest change first. Purged requests have no name left to share.
 */
export async function searchRecords(
  db: Db,
  q: { partnerId: string; since?: Date; referralId?: string; limit?: number },
): Promise<SearchRecord[]> {
  const { rows } = await db.query(
    `SELECT f.id::text AS referral_id, r.id::text, r.reference, r.created_at, r.closed_at, r.relative_name,
            r.relative_other_names, r.relative_city, greatest(f.updated_at, r.updated_at) AS changed_at
     FROM referrals f JOIN requests r ON r.id = f.request_id
     WHERE f.partner_id = $1 AND f.kind = 'search' AND r.purged_at IS NULL AND r.relative_name IS NOT NULL
       -- In milliseconds, as a client gives back the next-since it was given.
       AND ($2::timestamptz IS NULL OR date_trunc('milliseconds', greatest(f.updated_at, r.updated_at)) > $2)
       AND ($3::bigint IS NULL OR f.id = $3)
     ORDER BY changed_at, f.id LIMIT $4`,
    [q.partnerId, q.since ?? null, q.referralId ?? null, q.limit ?? 500],
  )
  if (rows.length === 0) return []
  const events = await db.query(
    `SELECT id::text, request_id::text, data->>'outcome' AS outcome, created_at FROM request_events
     WHERE request_id = ANY($1::bigint[]) AND type = 'outcome' AND data ? 'outcome' ORDER BY id`,
    [rows.map((r) => r.id)],
  )
  const outcomes = new Map<string, OutcomeEvent[]>()
  for (const e of events.rows)
    outcomes.set(e.request_id, [...(outcomes.get(e.request_id) ?? []), { id: e.id, outcome: e.outcome, at: e.created_at }])
  return rows.map((r) => ({
    referralId: r.referral_id,
    changedAt: r.changed_at,
    id: r.id,
    reference: r.reference,
    createdAt: r.created_at,
    closedAt: r.closed_at,
    relativeName: r.relative_name,
    relativeOtherNames: r.relative_other_names,
    relativeCity: r.relative_city,
    outcomes: outcomes.get(r.id) ?? [],
  }))
}
