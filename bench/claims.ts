/**
 * The claims benchmark (`npm run -s build && node dist/bench/claims.js`): volunteers working a
 * backlog through the real API. A backlog of requests is written straight into the run's own
 * schema, the real outbox relay (the worker process) moves it into the per-language checkins
 * queues, then simulated volunteers, each an async loop in this process, claim and answer
 * (`reached_safe`) until the queues of their languages are empty. Before that, one volunteer alone
 * measures the uncontended latency, and a few more claims run under Redis MONITOR to count the
 * API's Redis commands per call. Afterwards the bookkeeping is checked against the database: no
 * request claimed twice, none skipped, each in a language its volunteer speaks. Results: a report
 * on stdout and bench/results/claims-<timestamp>.json. Exit 1 when a check failed.
 *
 * Env: DATABASE_URL, REDIS_URL (loopback only); BENCH_REQUESTS (10000), BENCH_VOLUNTEERS (200),
 * BENCH_MAX_S (s the volunteers may run, 120), BENCH_THINK_MS (each volunteer's mean pause after
 * an outcome, drawn from 0.5–1.5× it, with starts spread over 0–1× it; 0: flat out, the default), BENCH_SERIAL (claims by one volunteer alone, 50), BENCH_PROFILE (claims under
 * MONITOR, 20; 0 skips it), BENCH_LOG_LEVEL (the API's, warn).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import pg from 'pg'
import { loadConfig } from '../src/config.js'
import { migrate } from '../src/db/migrations.js'
import { LANGUAGES } from '../src/domain/request-states.js'
import { closeCheckinsQueues, createCheckinsQueues } from '../src/queues/checkins.js'
import { bullConnection } from '../src/queues/connection.js'
import { hashPassword } from '../src/services/auth.js'
import { insertBacklog, insertVolunteers } from './backlog.js'
import { type Check, latency, printClaimsReport } from './claims-report.js'
import { coresUsed, cpuSnapshot } from './cpu.js'
import { assertLoopback, counts, gitState, machine } from './environment.js'
import {
  API_ENTRY,
  deleteKeys,
  dropSchema,
  envInt,
  interruptions,
  runMain,
  runNames,
  WORKER_ENTRY,
  writeResults,
} from './harness.js'
import { sampleStates } from './pg-states.js'
import { sampleWaits } from './pg-waits.js'
import { assertAlive, type Child, freePort, startNode, stopAll, waitForHttp } from './processes.js'
import { type RedisProfile, startRedisProfile } from './redis-profile.js'
import { round } from './report.js'
import { schedSnapshot, waitsForCpu } from './sched.js'
import {
  ApiClient,
  type Holder,
  LOGINS_PER_ADDRESS,
  type LoopOptions,
  logIn,
  runVolunteers,
  Tally,
  type Volunteer,
  volunteerLoop,
} from './volunteers.js'

const settings = {
  requests: envInt('BENCH_REQUESTS', 10_000, 1, 100_000),
  // 20 logins a minute per address, from 127.0.0.2 up to 127.0.0.254.
  volunteers: envInt('BENCH_VOLUNTEERS', 200, 1, 253 * LOGINS_PER_ADDRESS),
  maxS: envInt('BENCH_MAX_S', 120, 1, 3600),
  thinkMs: envInt('BENCH_THINK_MS', 0, 0, 600_000),
  serial: envInt('BENCH_SERIAL', 50, 0, 1000),
  profile: envInt('BENCH_PROFILE', 20, 0, 1000),
  logLevel: process.env.BENCH_LOG_LEVEL || 'warn',
  poolSize: 20,
  leaseSeconds: 900,
  emptyPauseMs: 100,
}
const AIM_P99_MS = 50
const PASSWORD = 'bench volunteer password'

const { stamp, schema, bullPrefix } = runNames('claims')
const interrupt = interruptions(`schema ${schema}`)
const checkInterrupted = interrupt.check

/** Waits (bounded) until the relay has queued the whole backlog; ms from the commit, or null. */
async function waitForQueued(db: pg.Pool, expected: number, since: number, timeoutMs: number, children: Child[]) {
  while (performance.now() - since < timeoutMs) {
    checkInterrupted()
    for (const c of children) assertAlive(c)
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM requests WHERE status = 'queued'`)
    if ((rows[0]?.n ?? 0) >= expected) return performance.now() - since
    await sleep(100)
  }
  return null
}

/** The claims per second up to the moment 90% of them were made (the tail has fewer volunteers). */
function ratePast90(perSecond: number[], total: number): number | null {
  let sum = 0
  for (let s = 0; s < perSecond.length; s++) {
    sum += perSecond[s] ?? 0
    if (sum >= 0.9 * total && s > 0) return sum / (s + 1)
  }
  return null
}

async function verify(
  db: pg.Pool,
  expected: { requests: number; claims: number; reserved: number; volunteers: number },
  holders: Map<string, Holder>,
  idOfVolunteer: Map<number, string>,
  queueCounts: Record<string, Record<string, number>>,
) {
  const q = async <T>(sql: string) => (await db.query(sql)).rows as T[]
  const [totals] = await q<{
    requests: number
    reached_safe: number
    claimed_once: number
    claimed_more: number
    never_claimed: number
  }>(
    `SELECT count(*)::int AS requests,
            count(*) FILTER (WHERE status = 'reached_safe')::int AS reached_safe,
            count(*) FILTER (WHERE claimed = 1)::int AS claimed_once,
            count(*) FILTER (WHERE claimed > 1)::int AS claimed_more,
            count(*) FILTER (WHERE claimed = 0)::int AS never_claimed
     FROM (SELECT r.status, (SELECT count(*) FROM request_events e WHERE e.request_id = r.id AND e.type = 'claimed') AS claimed
           FROM requests r) x`,
  )
  const byStatus = await q<{ language: string; status: string; n: number }>(
    `SELECT requester_language AS language, status, count(*)::int AS n FROM requests GROUP BY 1, 2 ORDER BY 1, 2`,
  )
  const audit = Object.fromEntries(
    (await q<{ action: string; n: number }>(`SELECT action, count(*)::int AS n FROM audit_events GROUP BY 1`)).map((r) => [
      r.action,
      r.n,
    ]),
  )
  const [language] = await q<{ wrong: number }>(
    `SELECT count(*)::int AS wrong FROM attempts a JOIN accounts v ON v.id = a.account_id JOIN requests r ON r.id = a.request_id
     WHERE NOT (r.requester_language = ANY (v.languages))`,
  )
  const [attempts] = await q<{ n: number; safe: number; open: number }>(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE outcome = 'reached_safe' AND finished_at IS NOT NULL)::int AS safe,
            count(*) FILTER (WHERE finished_at IS NULL)::int AS open FROM attempts`,
  )
  const [leases] = await q<{ n: number }>('SELECT count(*)::int AS n FROM leases')
  // Who the database says claimed each request, against who the HTTP answers went to.
  const claimers = await q<{ reference: string; account: string }>(
    `SELECT r.reference, e.actor_id AS account FROM request_events e JOIN requests r ON r.id = e.request_id WHERE e.type = 'claimed'`,
  )
  let mismatched = 0
  let unknownToHttp = 0
  for (const c of claimers) {
    const h = holders.get(c.reference)
    if (!h) unknownToHttp++
    else if (idOfVolunteer.get(h.volunteer) !== c.account) mismatched++
  }
  // Queue order within each language: how far each claim came after its place in (priority, age).
  const order = await q<{ language: string; claims: number; late: number; early: number }>(
    `WITH c AS (
       SELECT r.requester_language AS language, r.priority, r.id AS request_id, e.id AS event_id
       FROM request_events e JOIN requests r ON r.id = e.request_id WHERE e.type = 'claimed'
     ), x AS (
       SELECT language,
              row_number() OVER (PARTITION BY language ORDER BY event_id) AS pos,
              row_number() OVER (PARTITION BY language ORDER BY priority, request_id) AS ideal
       FROM c
     )
     SELECT language, count(*)::int AS claims, max(pos - ideal)::int AS late, max(ideal - pos)::int AS early
     FROM x GROUP BY language ORDER BY language`,
  )
  const left = Object.fromEntries(
    Object.entries(queueCounts).map(([lang, c]) => [
      lang,
      (c.wait ?? 0) + (c.prioritized ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.failed ?? 0),
    ]),
  )
  const remaining = byStatus.filter((r) => r.status !== 'reached_safe')
  const t = totals as NonNullable<typeof totals>
  const maxLate = Math.max(0, ...order.map((o) => o.late))
  const checks: Check[] = [
    {
      name: 'no double claims',
      ok: t.claimed_more === 0 && mismatched === 0,
      detail: `${t.claimed_more} requests with more than one 'claimed' event; ${mismatched} claimed in SQL by another volunteer than the HTTP answer went to`,
    },
    {
      name: 'none skipped: every request claimed once and now reached_safe',
      ok: t.reached_safe === expected.requests && t.claimed_once === expected.requests,
      detail:
        `${t.reached_safe} of ${expected.requests} reached_safe, ${t.claimed_once} claimed exactly once, ${t.never_claimed} never` +
        (remaining.length ? `; left: ${remaining.map((r) => `${r.n} ${r.language} ${r.status}`).join(', ')}` : ''),
    },
    {
      name: "audit 'task.claimed' = claims",
      ok: (audit['task.claimed'] ?? 0) === expected.claims && (audit['task.read'] ?? 0) === expected.reserved,
      detail: `${audit['task.claimed'] ?? 0} 'task.claimed' for ${expected.claims} claims; ${audit['task.read'] ?? 0} 'task.read' for ${expected.reserved} held tasks served again`,
    },
    {
      name: 'language respected',
      ok: (language?.wrong ?? 0) === 0,
      detail: `${language?.wrong ?? 0} attempts on a request in a language its volunteer does not speak (SQL)`,
    },
    {
      name: 'SQL agrees with the HTTP answers',
      ok: claimers.length === expected.claims && unknownToHttp === 0,
      detail: `${claimers.length} 'claimed' events for ${expected.claims} claims answered 200; ${unknownToHttp} claims no volunteer heard of`,
    },
    {
      name: 'nothing left open',
      ok:
        (leases?.n ?? 0) === 0 &&
        attempts?.open === 0 &&
        attempts?.safe === expected.claims &&
        Object.values(left).every((n) => n === 0),
      detail:
        `${leases?.n ?? 0} leases, ${attempts?.open ?? 0} open attempts, ${attempts?.safe ?? 0} of ${attempts?.n ?? 0} attempts reached_safe; ` +
        `jobs waiting/prioritized/active/delayed/failed: ${Object.entries(left)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
    },
    {
      name: 'queue order within each language',
      ok: maxLate <= expected.volunteers,
      detail: `${order.map((o) => `${o.language}: ${o.claims} claims, at most ${o.late} places late, ${o.early} early`).join('; ')} (bound: ${expected.volunteers} volunteers in flight)`,
    },
  ]
  return { checks, totals, byStatus, audit, wrongLanguageSql: language?.wrong ?? 0, attempts, leases: leases?.n ?? 0, order }
}

async function main(): Promise<number> {
  const config = loadConfig()
  assertLoopback('DATABASE_URL', config.DATABASE_URL)
  assertLoopback('REDIS_URL', config.REDIS_URL)
  const started = Date.now()
  const db = new pg.Pool({ connectionString: config.DATABASE_URL, max: 3, options: `-c search_path=${schema}` })
  db.on('error', () => {})
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true })
  redis.on('error', () => {})
  let schemaMayExist = false
  let dropped = false
  let api: ApiClient | undefined
  let profiler: Awaited<ReturnType<typeof startRedisProfile>> | undefined
  try {
    await redis.connect()
    console.error(`schema ${schema}, BullMQ prefix ${bullPrefix}; API log level ${settings.logLevel}`)
    schemaMayExist = true
    await migrate({ DATABASE_URL: config.DATABASE_URL, DATABASE_SCHEMA: schema })
    const env = {
      ...process.env,
      HOST: '127.0.0.1',
      DATABASE_URL: config.DATABASE_URL,
      DATABASE_SCHEMA: schema,
      DATABASE_POOL_SIZE: String(settings.poolSize),
      REDIS_URL: config.REDIS_URL,
      BULLMQ_PREFIX: bullPrefix,
      LEASE_SECONDS: String(settings.leaseSeconds),
      RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
      RATE_LIMIT_PER_PHONE_PER_HOUR: '1000000',
      // Loopback only: the notify worker's Twilio calls go to a port nobody listens on.
      TWILIO_BASE_URL: `http://127.0.0.1:${await freePort()}`,
    }
    const apiPort = await freePort()
    const app = (name: string) => `${schema}-${name}`
    const apiChild = startNode('API', API_ENTRY, {
      ...env,
      PORT: String(apiPort),
      PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
      LOG_LEVEL: settings.logLevel,
      PGAPPNAME: app('api'),
    })
    const worker = startNode('worker', WORKER_ENTRY, { ...env, PGAPPNAME: app('worker'), LOG_LEVEL: 'info' })
    const children = [apiChild, worker]
    const alive = () => {
      for (const c of children) assertAlive(c)
      checkInterrupted()
    }
    await waitForHttp(apiChild, `http://127.0.0.1:${apiPort}/readyz`)
    await sleep(500)
    alive()
    const pids = { api: apiChild.proc.pid, worker: worker.proc.pid }
    const host = await machine(db, redis)
    const code = gitState()

    // Volunteers: rows in SQL (one argon2 hash for all), sessions through the login route.
    console.error(`creating ${settings.volunteers} volunteers and logging them in`)
    const accounts = await insertVolunteers(db, settings.volunteers, await hashPassword(PASSWORD))
    api = new ApiClient(apiPort, settings.volunteers + 8)
    const login = await logIn(api, accounts, PASSWORD, () => interrupt.stopped())
    const volunteers = login.volunteers
    alive()

    // The backlog, committed at once; the relay polls and moves it into the queues.
    console.error(`inserting ${settings.requests} requests; the relay queues them`)
    const shape = await insertBacklog(db, settings.requests)
    const committed = performance.now()
    const relayBefore = cpuSnapshot(pids)
    const relaySched = schedSnapshot(pids)
    const relayMs = await waitForQueued(db, settings.requests, committed, 180_000, children)
    const relayCores = coresUsed(relayBefore, cpuSnapshot(pids))
    const relayCpuWaits = waitsForCpu(relaySched, schedSnapshot(pids))
    if (relayMs === null) throw new Error(`the relay did not queue ${settings.requests} requests within 180 s`)
    console.error(`queued in ${(relayMs / 1000).toFixed(1)} s`)

    const holders = new Map<string, Holder>()
    const base = {
      api,
      stopped: () => interrupt.stopped(),
      emptyPauseMs: settings.emptyPauseMs,
      thinkMs: 0,
      maxIterations: 100_000,
    } satisfies Partial<LoopOptions>
    // One volunteer alone, speaking every language: the latency without contention.
    const solo = (volunteers.find((v) => v.languages.length === LANGUAGES.length) ?? volunteers[0]) as Volunteer
    const serialTally = new Tally(holders)
    if (settings.serial > 0) {
      console.error(`one volunteer alone: ${settings.serial} claims`)
      await volunteerLoop(solo, { ...base, tally: serialTally, deadline: performance.now() + 60_000, maxClaims: settings.serial })
      alive()
    }
    // The same, a few claims under Redis MONITOR: the API's commands per call (nothing timed).
    const profileTally = new Tally(holders)
    let profile: RedisProfile | null = null
    if (settings.profile > 0) {
      console.error(`Redis MONITOR over ${settings.profile} claims`)
      profiler = await startRedisProfile(config.REDIS_URL, `${bullPrefix}:checkins-`)
      const marks = profiler
      await volunteerLoop(solo, {
        ...base,
        tally: profileTally,
        deadline: performance.now() + 60_000,
        maxClaims: settings.profile,
        before: (what) => marks.mark(what),
      })
      profile = await profiler.stop()
      profiler = undefined
      alive()
    }

    // Everyone at once.
    console.error(
      `${volunteers.length} volunteers at once, for at most ${settings.maxS} s` +
        (settings.thinkMs ? `, pausing ${settings.thinkMs} ms after each outcome` : ''),
    )
    const tally = new Tally(holders)
    const before = cpuSnapshot(pids)
    const schedBefore = schedSnapshot(pids)
    const stopWaits = sampleWaits(db, app('api'), settings.maxS + 60)
    const stopStates = sampleStates(db, app('api'), settings.maxS + 60)
    await runVolunteers(volunteers, {
      ...base,
      tally,
      thinkMs: settings.thinkMs,
      deadline: tally.startedAt + settings.maxS * 1000,
    })
    const loopEnd = performance.now()
    const runCores = coresUsed(before, cpuSnapshot(pids))
    const cpuWaits = waitsForCpu(schedBefore, schedSnapshot(pids))
    const pgWaits = await stopWaits()
    const pgStates = await stopStates()
    alive()
    const claimSeconds = Math.max(0.001, ((tally.lastClaimAt || loopEnd) - tally.startedAt) / 1000)

    // What the queues still hold, and the outbox rows the outcomes wrote (notifications).
    const queues = createCheckinsQueues({ connection: bullConnection(config, 'producer'), prefix: bullPrefix })
    const queueCounts: Record<string, Record<string, number>> = {}
    try {
      for (const language of LANGUAGES) {
        queueCounts[language] = await queues[language].getJobCounts(
          'wait',
          'prioritized',
          'active',
          'delayed',
          'failed',
          'completed',
        )
      }
    } finally {
      await closeCheckinsQueues(queues)
    }
    let outbox = await counts(db)
    for (let i = 0; i < 50 && outbox.due > 0; i++) {
      await sleep(200)
      outbox = await counts(db)
    }

    const allClaims = serialTally.claims + profileTally.claims + tally.claims
    const allReserved = serialTally.reserved + profileTally.reserved + tally.reserved
    const idOfVolunteer = new Map(volunteers.map((v) => [v.index, v.id]))
    const verified = await verify(
      db,
      { requests: settings.requests, claims: allClaims, reserved: allReserved, volunteers: volunteers.length },
      holders,
      idOfVolunteer,
      queueCounts,
    )
    const httpDouble = [serialTally, profileTally, tally].flatMap((t) => t.doubleClaims)
    const httpWrongLanguage = [serialTally, profileTally, tally].flatMap((t) => t.wrongLanguage)
    const failures: Record<string, number> = {}
    for (const t of [serialTally, profileTally, tally])
      for (const [k, v] of Object.entries(t.failures)) failures[k] = (failures[k] ?? 0) + v
    const checks: Check[] = [
      {
        name: 'no double claims (HTTP)',
        ok: httpDouble.length === 0,
        detail: `${httpDouble.length} references answered to a second volunteer (tracked in a Map of ${holders.size} references)`,
      },
      {
        name: 'language respected (HTTP)',
        ok: httpWrongLanguage.length === 0,
        detail: `${httpWrongLanguage.length} tasks whose requester.language the volunteer does not speak`,
      },
      ...verified.checks,
      {
        name: 'every answer 200 or 204',
        ok: Object.keys(failures).length === 0,
        detail: Object.keys(failures).length === 0 ? 'no other status, no socket error' : JSON.stringify(failures),
      },
    ]
    const claim = latency(tally.claimMs)
    const aim = { limit: AIM_P99_MS, measured: claim.p99, met: claim.n > 0 && claim.p99 < AIM_P99_MS }
    const remaining = settings.requests - (verified.totals?.reached_safe ?? 0)
    const notes = [
      `backlog: ${JSON.stringify(shape.byLanguage)} by language, ${JSON.stringify(shape.byPriority)} by priority; volunteers' languages cycle through ru+kk, ru, en+ru, kk, en, kk+ru+en`,
      `claims: ${serialTally.claims} by one volunteer alone, ${profileTally.claims} under MONITOR, ${tally.claims} with everyone at once; ` +
        `${allReserved} held tasks served again; ${tally.prematureEmpties} 204s followed by a 200 ${settings.emptyPauseMs} ms later`,
      remaining > 0
        ? `NOT DONE: ${remaining} requests not reached_safe; volunteers stopped: ${JSON.stringify(tally.stopReasons)}`
        : `every request reached_safe; the last claim came ${claimSeconds.toFixed(1)} s after the start, the last volunteer stopped ${((loopEnd - tally.startedAt) / 1000).toFixed(1)} s after`,
      `outbox after the run: ${outbox.unsent} rows unsent (${outbox.due} due) of ${outbox.outbox}; the outcomes' notifications go to a closed port`,
      `code measured: ${code.commit}${code.uncommitted.length ? ` + uncommitted changes in ${code.uncommitted.join(', ')}` : ''}`,
      `load generator: ${volunteers.length} async loops in this process (node:http, keep-alive), on the same ${host.nproc} cores as the API, the worker, PostgreSQL and Redis`,
    ]
    const run = {
      seconds: claimSeconds,
      loopSeconds: round((loopEnd - tally.startedAt) / 1000, 2),
      claims: tally.claims,
      claimsPerS: tally.claims / claimSeconds,
      claimsPerSTo90: ratePast90(tally.perSecond, tally.claims),
      outcomes: tally.outcomes,
      claim,
      outcome: latency(tally.outcomeMs),
      empty: latency(tally.emptyMs),
      empties: tally.emptyMs.length,
      prematureEmpties: tally.prematureEmpties,
      reserved: tally.reserved,
      failures: tally.failures,
      stopReasons: tally.stopReasons,
      perSecond: Array.from(tally.perSecond, (n) => n ?? 0),
      cores: runCores,
      cpuWaits,
      pgWaits: pgWaits.meanActive,
      pgWaitSamples: pgWaits.samples,
      pgStates,
    }
    const serial = settings.serial > 0 ? { claim: latency(serialTally.claimMs), outcome: latency(serialTally.outcomeMs) } : null
    const printed = printClaimsReport({
      volunteers: volunteers.length,
      thinkMs: settings.thinkMs,
      relay: { rows: settings.requests, ms: relayMs, cores: relayCores, cpuWaits: relayCpuWaits },
      logins: latency(login.latenciesMs),
      serial,
      profile,
      run,
      aim,
      checks,
      notes,
    })
    const valid = checks.every((c) => c.ok)
    const summary = {
      benchmark: 'claims',
      startedAt: new Date(started).toISOString(),
      runtimeS: round((Date.now() - started) / 1000, 1),
      machine: host,
      code,
      settings: { ...settings, apiLogLevel: settings.logLevel, schema, bullPrefix },
      backlog: shape,
      relay: {
        rows: settings.requests,
        ms: round(relayMs),
        rowsPerS: round(settings.requests / (relayMs / 1000)),
        cores: relayCores,
        cpuWaits: relayCpuWaits,
      },
      logins: latency(login.latenciesMs),
      serial,
      redisProfile: profile,
      run,
      queueCounts,
      outboxAfterRun: outbox,
      sql: {
        totals: verified.totals,
        byStatus: verified.byStatus,
        audit: verified.audit,
        attempts: verified.attempts,
        leases: verified.leases,
        order: verified.order,
      },
      doubleClaims: httpDouble.slice(0, 100),
      wrongLanguage: httpWrongLanguage.slice(0, 100),
      failures,
      aims: { claimP99Ms: aim },
      checks,
      valid,
      report: printed,
    }
    const file = await writeResults('claims', stamp, summary)
    console.log(`\nsummary written to ${file} (runtime ${summary.runtimeS} s)`)
    return valid ? 0 : 1
  } finally {
    profiler?.close()
    api?.close()
    await stopAll()
    if (schemaMayExist) dropped = await dropSchema(db, schema)
    // The run's own keys too: login rate limits and failures.
    const deleted = await deleteKeys(redis, [`${bullPrefix}*`, `${schema}:*`]).catch((err) => {
      console.error(`could not delete the Redis keys of ${bullPrefix}: ${err.message}`)
      return 0
    })
    console.error(
      `cleaned up: servers stopped, schema ${schema} ${dropped ? 'dropped' : 'NOT dropped'}, ${deleted} Redis keys deleted`,
    )
    redis.disconnect()
    await db.end()
  }
}

runMain('bench', main)
