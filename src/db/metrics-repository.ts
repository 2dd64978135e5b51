import type { RequestState } from '../domain/request-states.js'
import type { NotificationStatus } from './notification-repository.js'
import type { Db } from './pool.js'

/** Counts for the Prometheus scrape; read from PostgreSQL so they are the same whichever process asks. */
export type MetricsCounts = {
  requests: Partial<Record<RequestState, number>>
  notifications: Partial<Record<NotificationStatus, number>>
  claims: number
  leaseExpiries: number
  outboxPending: number
}

/**
 * One statement, one round trip per scrape. The requests and notifications are counted row by
 * row and the events through `type`: cheap at an outage's thousands of rows; at millions, read
 * maintained counters and keep an index on `request_events (type)`.
 */
export async function readMetricsCounts(db: Db): Promise<MetricsCounts> {
  const { rows } = await db.query<MetricsCounts>(
    `SELECT
       (SELECT coalesce(jsonb_object_agg(status, n), '{}') FROM (SELECT status, count(*) AS n FROM requests GROUP BY status) s) AS requests,
       (SELECT coalesce(jsonb_object_agg(status, n), '{}') FROM (SELECT status, count(*) AS n FROM notifications GROUP BY status) s)
         AS notifications,
       e.claims, e.lease_expiries AS "leaseExpiries",
       (SELECT count(*) FROM outbox WHERE sent_at IS NULL)::float8 AS "outboxPending"
     FROM (SELECT count(*) FILTER (WHERE type = 'claimed')::float8 AS claims,
                  count(*) FILTER (WHERE type = 'lease_expired')::float8 AS lease_expiries
           FROM request_events WHERE type IN ('claimed', 'lease_expired')) e`,
  )
  return rows[0] as MetricsCounts
}
