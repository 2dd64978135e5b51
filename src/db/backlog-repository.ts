import { REQUEST_STATES, type RequestState } from '../domain/request-states.js'
import type { Db } from './pool.js'

export type BacklogSummary = {
  counts: Record<RequestState, number>
  waiting: {
    total: number
    oldestWaitingSeconds: number
    medianWaitSeconds: number
    byPriority: Record<string, number>
    byLanguage: Record<string, number>
    byCity: Record<string, number>
    escalated: number
    pastEscalationThreshold: number
  }
  claimed: { now: number; leasesExpiringSoon: number }
  lastHour: { received: number; outcomes: number }
  lastDay: { received: number; outcomes: number }
  volunteers: { available: number; active: number }
  notifications: { failed: number; undelivered: number }
}

const toMap = (rows: { key: string; n: number }[]) => Object.fromEntries(rows.map((r) => [r.key, r.n]))

/**
 * The backlog at a glance. Each part reads a small or ordered set, so the whole stays fast with
 * a million requests: state counts from the maintained counters, the waiting set from its
 * partial index, recent activity from time indexes.
 */
export async function backlogSummary(
  db: Db,
  options: { escalateAfterMinutes: number; leaseWarnSeconds: number },
): Promise<BacklogSummary> {
  const [counts, waiting, groups, leases, recent, volunteers, notifications] = await Promise.all([
    db.query<{ status: RequestState; n: number }>(
      `SELECT status, sum(n)::int AS n FROM (
         SELECT status, n FROM request_counts UNION ALL SELECT status, delta FROM request_count_deltas
       ) c GROUP BY status`,
    ),
    db.query(
      `SELECT count(*)::int AS total,
              coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest,
              coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM now() - created_at)), 0)::float8 AS median,
              count(escalated_at)::int AS escalated,
              count(*) FILTER (WHERE created_at < now() - make_interval(mins => $1))::int AS past
       FROM requests WHERE status IN ('received', 'queued')`,
      [options.escalateAfterMinutes],
    ),
    db.query<{ dim: string; key: string; n: number }>(
      `SELECT 'priority' AS dim, priority::text AS key, count(*)::int AS n FROM requests WHERE status IN ('received', 'queued') GROUP BY priority
       UNION ALL
       SELECT 'language', requester_language, count(*)::int FROM requests WHERE status IN ('received', 'queued') GROUP BY requester_language
       UNION ALL
       SELECT 'city', city_key, count(*)::int FROM requests WHERE status IN ('received', 'queued') GROUP BY city_key`,
    ),
    db.query(
      `SELECT count(*)::int AS now, count(*) FILTER (WHERE expires_at < now() + make_interval(secs => $1))::int AS expiring FROM leases`,
      [options.leaseWarnSeconds],
    ),
    db.query(
      `SELECT (SELECT count(*) FROM requests WHERE created_at > now() - interval '1 hour')::int AS received_hour,
              (SELECT count(*) FROM requests WHERE created_at > now() - interval '1 day')::int AS received_day,
              (SELECT count(*) FROM request_events WHERE type = 'outcome' AND created_at > now() - interval '1 hour')::int AS outcomes_hour,
              (SELECT count(*) FROM request_events WHERE type = 'outcome' AND created_at > now() - interval '1 day')::int AS outcomes_day`,
    ),
    db.query(
      `SELECT count(*) FILTER (WHERE available)::int AS available,
              count(*) FILTER (WHERE EXISTS (SELECT 1 FROM leases l WHERE l.account_id = a.id))::int AS active
       FROM accounts a WHERE role = 'volunteer' AND status = 'approved'`,
    ),
    db.query(
      `SELECT count(*) FILTER (WHERE status = 'failed')::int AS failed, count(*) FILTER (WHERE status = 'undelivered')::int AS undelivered
       FROM notifications WHERE status IN ('failed', 'undelivered')`,
    ),
  ])
  const byState = Object.fromEntries(REQUEST_STATES.map((s) => [s, 0])) as Record<RequestState, number>
  for (const row of counts.rows) byState[row.status] = row.n
  const w = waiting.rows[0]
  const dim = (d: string) => toMap(groups.rows.filter((g) => g.dim === d))
  const r = recent.rows[0]
  return {
    counts: byState,
    waiting: {
      total: w.total,
      oldestWaitingSeconds: Math.round(w.oldest),
      medianWaitSeconds: Math.round(w.median),
      byPriority: dim('priority'),
      byLanguage: dim('language'),
      byCity: dim('city'),
      escalated: w.escalated,
      pastEscalationThreshold: w.past,
    },
    claimed: { now: leases.rows[0].now, leasesExpiringSoon: leases.rows[0].expiring },
    lastHour: { received: r.received_hour, outcomes: r.outcomes_hour },
    lastDay: { received: r.received_day, outcomes: r.outcomes_day },
    volunteers: { available: volunteers.rows[0].available, active: volunteers.rows[0].active },
    notifications: { failed: notifications.rows[0].failed, undelivered: notifications.rows[0].undelivered },
  }
}

/** Folds the appended count changes into the counters (maintenance, every half minute). */
export async function compactRequestCounts(db: Db): Promise<void> {
  await db.query(
    `WITH moved AS (DELETE FROM request_count_deltas RETURNING status, delta)
     INSERT INTO request_counts (status, n) SELECT status, sum(delta) FROM moved GROUP BY status
     ON CONFLICT (status) DO UPDATE SET n = request_counts.n + excluded.n`,
  )
}

/**
 * Raises, once, the priority of requests waiting past the threshold (by two steps, never above
 * 1), with an event each and an outbox row so that the waiting job follows. Returns how many.
 */
export async function escalateWaiting(db: Db, afterMinutes: number): Promise<number> {
  const { rowCount } = await db.query(
    `WITH raised AS (
       UPDATE requests SET priority = greatest(1, priority - 2), escalated_at = now(), updated_at = now()
       WHERE status IN ('received', 'queued') AND escalated_at IS NULL AND created_at < now() - make_interval(mins => $1)
       RETURNING id, priority
     ), events AS (
       INSERT INTO request_events (request_id, type, actor_type, data)
       SELECT id, 'escalated', 'system', jsonb_build_object('priority', priority) FROM raised
     )
     INSERT INTO outbox (topic, request_id, payload) SELECT 'checkins.priority', id, jsonb_build_object('priority', priority) FROM raised`,
    [afterMinutes],
  )
  return rowCount ?? 0
}
