import { REQUEST_STATES, type RequestState } from '../domain/request-states.js'
import type { Db } from './pool.js'
import { type ReferralSummary, referralSummary } from './referral-summary-repository.js'

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
  /** Cases passed on to partners (issue 14). */
  referrals: ReferralSummary
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
  const [counts, waiting, groups, leases, recent, volunteers, notifications, referrals] = await Promise.all([
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
    referralSummary(db),
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
    referrals,
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

/** How the chart groups waiting requests by priority (1 is the most urgent). */
export const PRIORITY_BANDS = ['high', 'raised', 'normal'] as const
export type PriorityBand = (typeof PRIORITY_BANDS)[number]

/** One bucket of the backlog's recent history: levels at its end, outcomes within it. */
export type BacklogPoint = {
  /** The bucket's end (the last one ends in the future: its levels are now's). */
  at: Date
  waiting: Record<PriorityBand, number>
  inCalls: number
  done: number
}

/**
 * The backlog over the last `hours`, in buckets of `bucketMinutes` aligned to the clock: how many
 * requests were waiting (by priority band: 1–3, 4–9, 10 and over) and in calls at each bucket's
 * end, and how many calls ended with an outcome within it. Rebuilt from the append-only history:
 * every change of state is an event with its `to_status`, so a request's state at any instant is
 * its last such event's. Only requests open now or closed within the window can have been open in
 * it; each of their state spans adds 1 where it starts and −1 where it ends, and a running sum per
 * bucket gives the levels — one pass over those events, not one per bucket. Priority is each
 * request's current one.
 */
export async function backlogHistory(db: Db, options: { hours: number; bucketMinutes: number }): Promise<BacklogPoint[]> {
  const buckets = Math.round((options.hours * 60) / options.bucketMinutes)
  const { rows } = await db.query<{ first_end: Date; kind: string; idx: number; n: number }>(
    `WITH p AS (
       SELECT date_bin(make_interval(mins => $1), now(), timestamptz '2000-01-01')
                + make_interval(mins => $1) - make_interval(mins => $1 * ($2 - 1)) AS first_end
     ), relevant AS (
       SELECT id, priority FROM requests WHERE status IN ('received', 'queued', 'claimed')
       UNION
       SELECT id, priority FROM requests, p WHERE purged_at IS NULL AND closed_at > p.first_end - make_interval(mins => $1)
     ), spans AS (
       SELECT CASE WHEN e.to_status = 'claimed' THEN 'inCalls'
                   WHEN e.to_status IN ('received', 'queued') THEN
                     CASE WHEN r.priority <= 3 THEN 'high' WHEN r.priority < 10 THEN 'raised' ELSE 'normal' END
                   WHEN e.to_status IN ('reached_safe', 'reached_needs_help', 'wrong_number', 'unreachable') THEN 'done'
              END AS kind,
              e.created_at AS since,
              lead(e.created_at) OVER (PARTITION BY e.request_id ORDER BY e.id) AS until
       FROM request_events e JOIN relevant r ON r.id = e.request_id
       WHERE e.to_status IS NOT NULL
     ), marks AS (
       SELECT kind, since AS at, 1 AS d FROM spans WHERE kind <> 'done'
       UNION ALL SELECT kind, until, -1 FROM spans WHERE kind <> 'done' AND until IS NOT NULL
       UNION ALL SELECT kind, since, 1 FROM spans, p WHERE kind = 'done' AND since > p.first_end - make_interval(mins => $1)
     )
     SELECT p.first_end, m.kind,
            greatest(0, ceil(extract(epoch FROM m.at - p.first_end) / ($1 * 60)))::int AS idx,
            sum(m.d)::int AS n
     FROM marks m, p WHERE m.kind IS NOT NULL GROUP BY 1, 2, 3`,
    [options.bucketMinutes, buckets],
  )
  const firstEnd = rows[0]?.first_end ?? alignedFirstEnd(new Date(), options.bucketMinutes, buckets)
  const delta = (kind: string) => {
    const byIdx = new Array<number>(buckets).fill(0)
    for (const r of rows) if (r.kind === kind && r.idx < buckets) byIdx[r.idx] = (byIdx[r.idx] ?? 0) + r.n
    return byIdx
  }
  const running = (kind: string) => {
    let level = 0
    return delta(kind).map((d) => {
      level += d
      return Math.max(0, level)
    })
  }
  const [high, raised, normal, inCalls, done] = [
    running('high'),
    running('raised'),
    running('normal'),
    running('inCalls'),
    delta('done'),
  ]
  return Array.from({ length: buckets }, (_, i) => ({
    at: new Date(firstEnd.getTime() + i * options.bucketMinutes * 60_000),
    waiting: { high: high[i] ?? 0, raised: raised[i] ?? 0, normal: normal[i] ?? 0 },
    inCalls: inCalls[i] ?? 0,
    done: done[i] ?? 0,
  }))
}

/** The first bucket's end when the history is empty, aligned as PostgreSQL's date_bin aligns it. */
function alignedFirstEnd(now: Date, bucketMinutes: number, buckets: number): Date {
  const ms = bucketMinutes * 60_000
  const origin = Date.UTC(2000, 0, 1)
  const currentEnd = origin + (Math.floor((now.getTime() - origin) / ms) + 1) * ms
  return new Date(currentEnd - (buckets - 1) * ms)
}

/** The newest history event's id ('0' when there is none): the backlog's history changed iff it did. */
export async function latestEventId(db: Db): Promise<string> {
  const { rows } = await db.query<{ id: string }>('SELECT coalesce(max(id), 0)::text AS id FROM request_events')
  return rows[0]?.id ?? '0'
}
