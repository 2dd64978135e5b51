/**
 * The coordinators' backlog over a million requests: seeds 1,000,000 requests (with their
 * requesters, about 1.4 million events, a day of recent activity and a few hundred waiting and
 * claimed ones) straight into a schema of its own, then times `GET /api/v1/backlog` through the
 * real app (inject) and the summary's queries alone, 200 times each after a warm-up.
 *
 *   npm run -s build && node dist/bench/backlog-query.js      (about 2 minutes)
 *
 * BENCH_ROWS (1000000) and BENCH_ITERATIONS (200) override. The aim: under 100 ms.
 */
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { backlogSummary, compactRequestCounts } from '../src/db/backlog-repository.js'
import { migrate } from '../src/db/migrations.js'
import { insertSession } from '../src/db/session-repository.js'
import { hashToken } from '../src/services/auth.js'

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000)
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200)

// Statuses in proportion: most requests of a long outage are closed; 2% wait, 0.1% are claimed.
const SEED = `
INSERT INTO requests (reference, requester_name, requester_phone, requester_language, notify_via, relative_name,
  relative_phone, relative_city, city_key, relative_name_key, priority, status, created_at, updated_at, closed_at, attempts, source)
SELECT 'B' || lpad(to_hex(g), 7, '0'), 'Name', '+7701' || lpad(g::text, 7, '0'), (ARRAY['kk','ru','en'])[1 + g % 3], 'sms',
  'Relative', '+7702' || lpad(g::text, 7, '0'), 'City', (ARRAY['almaty','astana','shymkent','aktobe','karaganda','taraz','oral'])[1 + g % 7],
  'relative ' || g, 1 + g % 10,
  CASE WHEN g % 1000 < 20 THEN 'queued' WHEN g % 1000 = 20 THEN 'claimed' WHEN g % 100 < 60 THEN 'reached_safe'
       WHEN g % 100 < 70 THEN 'reached_needs_help' WHEN g % 100 < 80 THEN 'unreachable' WHEN g % 100 < 90 THEN 'wrong_number' ELSE 'cancelled' END,
  now() - make_interval(secs => g * 2), now() - make_interval(secs => g), CASE WHEN g % 1000 > 20 THEN now() - make_interval(secs => g) END,
  g % 3, 'api'
FROM generate_series(1, $1::int) g`

const SEED_RELATED = [
  `INSERT INTO request_requesters (request_id, phone, name, language, notify_via)
   SELECT id, requester_phone, requester_name, requester_language, notify_via FROM requests`,
  `INSERT INTO request_events (request_id, type, to_status, actor_type, created_at)
   SELECT id, 'received', 'received', 'requester', created_at FROM requests`,
  `INSERT INTO request_events (request_id, type, to_status, actor_type, data, created_at)
   SELECT id, 'outcome', status, 'volunteer', jsonb_build_object('outcome', status), closed_at FROM requests
   WHERE status IN ('reached_safe', 'reached_needs_help', 'wrong_number', 'unreachable') AND id % 2 = 0`,
  `INSERT INTO notifications (request_id, kind, channel, language, to_phone, dedupe_key, status)
   SELECT id, 'received', 'sms', requester_language, requester_phone, 'b:' || id, CASE WHEN id % 50 = 0 THEN 'failed' ELSE 'delivered' END
   FROM requests WHERE id % 10 = 0`,
  `INSERT INTO accounts (role, name, phone, password_hash, languages, status, available)
   SELECT 'volunteer', 'V' || g, '+7747' || lpad(g::text, 7, '0'), 'x', ARRAY['ru'], 'approved', g % 2 = 0 FROM generate_series(1, 500) g`,
  `INSERT INTO leases (request_id, account_id, queue, job_id, token, expires_at)
   SELECT r.id, a.id, 'ru', 'request-' || r.id, 't', now() + interval '10 minutes'
   FROM (SELECT id, row_number() OVER () AS n FROM requests WHERE status = 'claimed' LIMIT 500) r
   JOIN (SELECT id, row_number() OVER () AS n FROM accounts) a USING (n)`,
  'ANALYZE',
]

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

async function time(label: string, fn: () => Promise<unknown>) {
  for (let i = 0; i < 10; i++) await fn()
  const samples: number[] = []
  for (let i = 0; i < ITERATIONS; i++) {
    const start = performance.now()
    await fn()
    samples.push(performance.now() - start)
  }
  samples.sort((a, b) => a - b)
  const line = `${label.padEnd(36)} p50 ${percentile(samples, 50).toFixed(1)} ms  p95 ${percentile(samples, 95).toFixed(1)} ms  p99 ${percentile(samples, 99).toFixed(1)} ms  max ${(samples.at(-1) as number).toFixed(1)} ms`
  console.log(line)
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) }
}

async function main() {
  const base = loadConfig()
  const schema = `bench_backlog_${randomBytes(3).toString('hex')}`
  const config = { ...base, DATABASE_SCHEMA: schema, LOG_LEVEL: 'warn' as const, BULLMQ_PREFIX: `{${schema}}` }
  const admin = new pg.Client({ connectionString: config.DATABASE_URL })
  await admin.connect()
  try {
    await migrate(config)
    const started = performance.now()
    await admin.query(`SET search_path TO ${schema}`)
    await admin.query(SEED, [ROWS])
    for (const sql of SEED_RELATED) await admin.query(sql)
    console.log(`seeded ${ROWS} requests in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    const events = await admin.query('SELECT count(*)::int AS n FROM request_events')
    console.log(`request_events: ${events.rows[0].n}`)

    const app = await buildApp(config)
    await app.ready()
    await compactRequestCounts(app.db)
    const { rows } = await admin.query(
      `INSERT INTO accounts (role, name, phone, password_hash, status) VALUES ('coordinator', 'C', '+77470000000', 'x', 'approved') RETURNING id::text`,
    )
    const token = randomBytes(24).toString('base64url')
    await insertSession(app.db, { tokenHash: hashToken(token), accountId: rows[0].id, hours: 1 })
    const headers = { authorization: `Bearer ${token}` }
    const first = await app.inject({ url: '/api/v1/backlog', headers })
    if (first.statusCode !== 200) throw new Error(`backlog answered ${first.statusCode}: ${first.body}`)
    const summary = first.json()
    console.log(`counts: ${JSON.stringify(summary.counts)}`)
    console.log(
      `waiting: ${summary.waiting.total}, claimed now: ${summary.claimed.now}, outcomes last day: ${summary.lastDay.outcomes}`,
    )
    const queries = await time('backlogSummary() queries', () =>
      backlogSummary(app.db, { escalateAfterMinutes: config.ESCALATE_AFTER_MINUTES, leaseWarnSeconds: 120 }),
    )
    const http = await time('GET /api/v1/backlog (inject)', () => app.inject({ url: '/api/v1/backlog', headers }))
    console.log(
      `aim: GET /api/v1/backlog under 100 ms with ${ROWS} requests: ${http.p99 < 100 ? 'MET' : 'NOT MET'} (p99 ${http.p99.toFixed(1)} ms; queries alone p99 ${queries.p99.toFixed(1)} ms)`,
    )
    await app.close()
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await admin.end()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
