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
import { REQUEST_STATES } from '../domain/request-states.js'
import { AuthErrors, Errors } from '../errors.js'
import { monitoredQueues } from '../queues/monitored.js'

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
/** The checkins queues use the workers' connection, which waits for Redis forever: a scrape must not. */
const REDIS_TIMEOUT_MS = 1000

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Nearest-rank quantile of sorted values. */
function quantile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0
}

/** The queue series, read per scrape; a queue Redis does not answer for is left out of it. */
function queueMetrics(registry: Registry, queues: Queue[], log: FastifyBaseLogger) {
  const each = async <T>(read: (queue: Queue) => Promise<T>, use: (queue: Queue, value: T) => void) => {
    await Promise.all(
      queues.map(async (queue) => {
        try {
          use(queue, await withTimeout(read(queue), REDIS_TIMEOUT_MS))
        } catch (err) {
          log.debug({ err, queue: queue.name }, 'queue metrics skipped')
        }
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

/** The PostgreSQL series: one counts query per scrape, shared by the metrics that need it. */
function databaseMetrics(registry: Registry, db: Db, log: FastifyBaseLogger) {
  let pending: Promise<MetricsCounts | null> | null = null
  const counts = () => {
    pending ??= readMetricsCounts(db)
      .catch((err) => {
        log.warn({ err }, 'database metrics skipped')
        return null
      })
      .finally(() => {
        pending = null
      })
    return pending
  }
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
    queueMetrics(registry, monitored.queues, app.log)
    databaseMetrics(registry, app.db, app.log)

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
