import { createHash, timingSafeEqual } from 'node:crypto'
import type { Queue } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { Config } from '../config.js'
import { type MetricsCounts, readMetricsCounts } from '../db/metrics-repository.js'
import type { NotificationStatus } from '../db/notification-repository.js'
import { outboxLagSeconds } from '../db/outbox-repository.js'
import type { Db } from '../db/pool.js'
import { type ReconcileTotals, readReconcileTotals } from '../db/reconcile-repository.js'
import { REQUEST_STATES } from '../domain/request-states.js'
import { AuthErrors, Errors } from '../errors.js'
import { monitoredQueues } from '../queues/monitored.js'
import { withRedisOr } from '../services/redis-guard.js'

const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'] as const
const NOTIFICATION_STATUSES = Object.keys({
  pending: 0,
  sending: 0,
  queued: 0,
  sent: 0,
  delivered: 0,
  undelivered: 0,
  failed: 0,
  suppressed: 0,
} satisfies Record<NotificationStatus, 0>)
/** Completed jobs per queue the duration quantiles are taken over. */
const DURATION_SAMPLE = 100
const QUANTILES = [0.5, 0.9, 0.99]
const SKIPPED = Symbol('skipped')

/** Nearest-rank quantile of sorted values. */
function quantile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0
}

/**
 * The queue series, read per scrape. Every read has the request paths' Redis deadline: a queue
 * Redis does not answer for in time (away, or frozen) is left out of the scrape, which never hangs.
 */
function queueMetrics(registry: Registry, queues: Queue[], redisTimeoutMs: number) {
  const each = async <T>(read: (queue: Queue) => Promise<T>, use: (queue: Queue, value: T) => void) => {
    await Promise.all(
      queues.map(async (queue) => {
        const value = await withRedisOr(redisTimeoutMs, () => read(queue), SKIPPED)
        if (value !== SKIPPED) use(queue, value)
      }),
    )
  }
  new Gauge({
    name: 'bailanys_queue_jobs',
    help: 'BullMQ jobs per queue and state',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset()
      await each(
        (queue) => queue.getJobCounts(...QUEUE_STATES),
        (queue, counts) => {
          for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0)
        },
      )
    },
  })
  new Gauge({
    name: 'bailanys_job_duration_seconds',
    help: `Processing time (finishedOn - processedOn) over the last ${DURATION_SAMPLE} completed jobs of each queue`,
    labelNames: ['queue', 'quantile'],
    registers: [registry],
    async collect() {
      this.reset()
      await each(
        (queue) => queue.getJobs(['completed'], 0, DURATION_SAMPLE - 1),
        (queue, jobs) => {
          const seconds = jobs
            .filter((job) => job?.finishedOn && job.processedOn)
            .map((job) => ((job.finishedOn as number) - (job.processedOn as number)) / 1000)
            .sort((a, b) => a - b)
          if (seconds.length === 0) return
          for (const q of QUANTILES) this.set({ queue: queue.name, quantile: String(q) }, quantile(seconds, q))
        },
      )
    },
  })
}

/** One read shared by the metrics of a scrape that need it; null (series left out) when it fails. */
function sharedRead<T>(read: () => Promise<T>, log: FastifyBaseLogger, what: string): () => Promise<T | null> {
  let pending: Promise<T | null> | null = null
  return () => {
    pending ??= read()
      .catch((err) => {
        log.warn({ err }, `${what} skipped`)
        return null
      })
      .finally(() => {
        pending = null
      })
    return pending
  }
}

/** The PostgreSQL series: one counts query per scrape, shared by the metrics that need it. */
function databaseMetrics(registry: Registry, db: Db, log: FastifyBaseLogger) {
  const counts = sharedRead(() => readMetricsCounts(db), log, 'database metrics')
  const byStatus = (
    name: string,
    help: string,
    statuses: readonly string[],
    pick: (c: MetricsCounts) => Record<string, number>,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        this.reset()
        const c = await counts()
        if (c) for (const status of statuses) this.set({ status }, pick(c)[status] ?? 0)
      },
    })
  byStatus('bailanys_requests', 'Requests per status', REQUEST_STATES, (c) => c.requests)
  byStatus('bailanys_notifications', 'Notifications per status', NOTIFICATION_STATUSES, (c) => c.notifications)
  // Counters read back from the append-only events, so every API instance reports the cluster's total.
  const total = (name: string, help: string, pick: (c: MetricsCounts) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      async collect() {
        this.reset()
        const c = await counts()
        if (c) this.inc(pick(c))
      },
    })
  total('bailanys_claims_total', 'Claims of a request by a volunteer (request_events "claimed")', (c) => c.claims)
  total('bailanys_lease_expiries_total', 'Leases that ran out (request_events "lease_expired")', (c) => c.leaseExpiries)
  new Gauge({
    name: 'bailanys_outbox_pending',
    help: 'Outbox rows not yet relayed to BullMQ',
    registers: [registry],
    async collect() {
      this.reset()
      const c = await counts()
      if (c) this.set(c.outboxPending)
    },
  })
  new Gauge({
    name: 'bailanys_outbox_lag_seconds',
    help: 'Age of the oldest unsent outbox row (0 when none)',
    registers: [registry],
    async collect() {
      this.reset()
      const lag = await outboxLagSeconds(db).catch((err) => log.warn({ err }, 'outbox lag metric skipped'))
      if (typeof lag === 'number') this.set(lag)
    },
  })
}

/**
 * The reconciler's running totals, which the worker that reconciles writes to PostgreSQL: the
 * API is the only exporter, and every instance reports the same cluster-wide figures.
 */
function reconcilerMetrics(registry: Registry, db: Db, log: FastifyBaseLogger) {
  const totals = sharedRead(() => readReconcileTotals(db), log, 'reconciler metrics')
  const counter = (name: string, help: string, values: (t: ReconcileTotals) => [Record<string, string>, number][]) =>
    new Counter({
      name,
      help,
      labelNames: ['queue'],
      registers: [registry],
      async collect() {
        this.reset()
        const t = await totals()
        if (t) for (const [labels, n] of values(t)) this.inc(labels, n)
      },
    })
  counter('bailanys_reconciler_requeued_total', 'Jobs re-enqueued because Redis had lost them (PostgreSQL is the truth)', (t) => [
    [{ queue: 'checkins' }, t.requeued ?? 0],
    [{ queue: 'notify' }, t.notifications ?? 0],
  ])
  counter('bailanys_reconciler_removed_total', 'Waiting checkins jobs removed because their request was closed or gone', (t) => [
    [{ queue: 'checkins' }, t.removed ?? 0],
  ])
  counter('bailanys_reconciler_runs_total', 'Reconciler runs (by whichever worker held the lock)', (t) => [[{}, t.runs ?? 0]])
  new Gauge({
    name: 'bailanys_reconciler_last_run_timestamp_seconds',
    help: 'When the reconciler last ran, in seconds since the epoch (0: never; alert when it falls behind RECONCILE_EVERY_MS)',
    registers: [registry],
    async collect() {
      this.reset()
      const t = await totals()
      if (t) this.set(t.lastRunAt ?? 0)
    },
  })
}

const digest = (token: string) => createHash('sha256').update(token).digest()

/**
 * Prometheus metrics at `GET /metrics`, behind `Authorization: Bearer <METRICS_TOKEN>`; 404 when
 * no token is configured. Each app has its own registry (tests build several in one process).
 */
export default fp<{ config: Config }>(
  async (app, { config }) => {
    const token = config.METRICS_TOKEN
    if (!token) {
      app.get('/metrics', { schema: { hide: true } }, async (request) => {
        throw new Errors.ROUTE_NOT_FOUND(request.method, '/metrics')
      })
      return
    }
    const registry = new Registry()
    collectDefaultMetrics({ register: registry })
    const http = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'],
      registers: [registry],
    })
    // The route pattern, never the URL: a URL can carry a phone number.
    app.addHook('onResponse', async (request, reply) => {
      const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: reply.statusCode }
      http.observe(labels, reply.elapsedTime / 1000)
    })

    const monitored = monitoredQueues(app.checkins.queues, config, (err) => app.log.debug({ err }, 'metrics queue error'))
    app.addHook('onClose', () => monitored.close())
    queueMetrics(registry, monitored.queues, config.REDIS_TIMEOUT_MS)
    databaseMetrics(registry, app.db, app.log)
    reconcilerMetrics(registry, app.db, app.log)

    const expected = digest(token)
    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      const given = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1]?.trim()
      if (!given || !timingSafeEqual(digest(given), expected)) {
        reply.header('www-authenticate', 'Bearer')
        throw new AuthErrors.UNAUTHENTICATED()
      }
      return reply.type(registry.contentType).send(await registry.metrics())
    })
  },
  { name: 'metrics', dependencies: ['db', 'queues'] },
)
