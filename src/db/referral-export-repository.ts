import type { ReferralKind, ReferralState } from './partner-referral-repository.js'
import type { Db } from './pool.js'

export type ReferralExportFilter = { state?: ReferralState; since?: Date }

/** A referral as exported: no family data; the volunteer's note only when asked (`personal`). */
export type ReferralExportRow = {
  id: string
  reference: string
  kind: ReferralKind
  state: ReferralState
  partnerId: string | null
  partnerName: string | null
  categories: string[]
  consent: boolean
  declinedBy: number
  createdAt: Date
  offeredAt: Date
  escalatedAt: Date | null
  updatedAt: Date
  closedAt: Date | null
  note?: string | null
}

// The note is not even read unless asked for: what is not selected cannot leak.
const SQL = (personal: boolean) => `
SELECT f.id::text, r.reference, f.kind, f.state, f.partner_id::text AS "partnerId", p.name AS "partnerName", f.categories,
       f.consent, cardinality(f.declined_by) AS "declinedBy", f.created_at AS "createdAt", f.offered_at AS "offeredAt",
       f.escalated_at AS "escalatedAt", f.updated_at AS "updatedAt", f.closed_at AS "closedAt"${personal ? ', f.note' : ''}
FROM referrals f JOIN requests r ON r.id = f.request_id LEFT JOIN partners p ON p.id = f.partner_id
WHERE f.id > $1::bigint AND f.id <= $2::bigint AND ($4::text IS NULL OR f.state = $4)
  AND ($5::timestamptz IS NULL OR f.created_at >= $5)
ORDER BY f.id LIMIT $3`

/**
 * Every referral matching the filter in id order, batch by batch (keyset pagination up to the
 * last id when the export began: one short query each, none holding a connection between them).
 */
export async function* referralBatches(
  db: Db,
  options: { filter: ReferralExportFilter; personal: boolean; batchSize?: number },
): AsyncGenerator<ReferralExportRow[]> {
  const { rows } = await db.query<{ max: string | null }>('SELECT max(id)::text AS max FROM referrals')
  const upTo = rows[0]?.max
  if (!upTo) return
  const limit = options.batchSize ?? 1000
  const sql = SQL(options.personal)
  for (let after = '0'; ; ) {
    const batch = await db.query<ReferralExportRow>(sql, [
      after,
      upTo,
      limit,
      options.filter.state ?? null,
      options.filter.since ?? null,
    ])
    if (batch.rows.length > 0) yield batch.rows
    if (batch.rows.length < limit) return
    after = (batch.rows.at(-1) as ReferralExportRow).id
  }
}
