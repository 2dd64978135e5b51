import type { ReferralState } from './partner-referral-repository.js'
import type { Db } from './pool.js'

/** Referrals at a glance, for the backlog and the dashboard. */
export type ReferralSummary = {
  byState: Record<ReferralState, number>
  /** Open cases (offered or accepted) per partner, the busiest first. */
  byPartner: { partnerId: string; name: string; offered: number; accepted: number }[]
  /** How long the oldest case nobody acted on (offered, or back with coordinators) has waited; 0 when none. */
  oldestUntouchedSeconds: number
  /** Webhook pushes that failed for good (the dead-letter list). */
  deadDeliveries: number
}

const STATES: ReferralState[] = ['offered', 'accepted', 'done', 'unassigned']

/**
 * Open cases come from the partial index on (partner_id, state) and the untouched one from the
 * waiting index on offered_at; only the `done` count reads the closed ones.
 */
export async function referralSummary(db: Db): Promise<ReferralSummary> {
  const [states, partners, oldest, dead] = await Promise.all([
    db.query<{ state: ReferralState; n: number }>('SELECT state, count(*)::int AS n FROM referrals GROUP BY state'),
    db.query<ReferralSummary['byPartner'][number]>(
      `SELECT p.id::text AS "partnerId", p.name,
              count(*) FILTER (WHERE f.state = 'offered')::int AS offered,
              count(*) FILTER (WHERE f.state = 'accepted')::int AS accepted
       FROM referrals f JOIN partners p ON p.id = f.partner_id
       WHERE f.state IN ('offered', 'accepted')
       GROUP BY p.id, p.name ORDER BY count(*) DESC, p.name LIMIT 50`,
    ),
    db.query<{ seconds: number }>(
      `SELECT coalesce(extract(epoch FROM now() - min(offered_at)), 0)::float8 AS seconds
       FROM referrals WHERE state IN ('offered', 'unassigned')`,
    ),
    db.query<{ n: number }>(`SELECT count(*)::int AS n FROM partner_deliveries WHERE state = 'dead'`),
  ])
  const byState = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<ReferralState, number>
  for (const row of states.rows) byState[row.state] = row.n
  return {
    byState,
    byPartner: partners.rows,
    oldestUntouchedSeconds: Math.round(oldest.rows[0]?.seconds ?? 0),
    deadDeliveries: dead.rows[0]?.n ?? 0,
  }
}
