/**
 * The intake benchmark (`npm run bench`). Compares POST /api/v1/requests on the real API with a
 * reference Fastify server's GET /hello (the framework's ceiling) and POST /insert (one INSERT,
 * the database's floor), each server in its own process, the outbox relay worker running as in
 * production. For each target: a short warm-up, latency at a fixed offered rate well below
 * saturation, then throughput at saturation. Results: a table on stdout and
 * bench/results/intake-<timestamp>.json. Exit 1 when any response was an error or unexpected.
 *
 * Env: DATABASE_URL, REDIS_URL (loopback only); BENCH_DURATION (s, 10), BENCH_CONNECTIONS (200),
 * BENCH_RATE (req/s, 500), BENCH_RATE_CONNECTIONS (10), BENCH_WARMUP (s, 2),
 * BENCH_LOG_LEVEL (the API's, warn), BENCH_WORKER (1; 0 runs without the worker). The worker logs at
 * info: it writes nothing per row at that level, and its reason for stopping shows if it stops.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import pg from 'pg'
import { loadConfig } from '../src/config.js'
import { migrate } from '../src/db/migrations.js'
import { bodyGenerator } from './bodies.js'
import { coresUsed, cpuSnapshot } from './cpu.js'
import { assertLoopback, counts, deleteRedisKeys, gitState, machine, unsentByTopic } from './environment.js'
import { API_ENTRY, dist, dropSchema, envInt, interruptions, runMain, runNames, WORKER_ENTRY, writeResults } from './harness.js'
import { runLoad, stopCurrentLoad, type Target } from './load.js'
import { sampleWaits } from './pg-waits.js'
import { assertAlive, type Child, freePort, startNode, stopAll, waitForHttp } from './processes.js'
import { REFERENCE_TABLE_SQL } from './reference-server.js'
import { judge, printReport, round, type TargetResult } from './report.js'

const settings = {
  durationS: envInt('BENCH_DURATION', 10, 1, 120),
  connections: envInt('BENCH_CONNECTIONS', 200, 1, 2000),
  rate: envInt('BENCH_RATE', 500, 1, 100_000),
  rateConnections: envInt('BENCH_RATE_CONNECTIONS', 10, 1, 1000),
  warmupS: envInt('BENCH_WARMUP', 2, 0, 60),
  logLevel: process.env.BENCH_LOG_LEVEL || 'warn',
  withWorker: process.env.BENCH_WORKER !== '0',
  /** An experiment, not the shipped set-up: the outbox's NOTIFY trigger disabled in the bench schema. */
  poolSize: 20,
}

const { stamp, schema, bullPrefix } = runNames('intake')
const interrupt = interruptions(`schema ${schema}`, stopCurrentLoad)
const checkInterrupted = interrupt.check

/**
 * Waits (bounded) until the relay has sent every row that is due (rows it put aside after a
 * failure are not waited for); returns the ms it took, or null on timeout.
 */
async function waitForOutbox(db: pg.Pool, timeoutMs: number): Promise<number | null> {
  const start = Date.now()
  while (Date.now() - start < timeoutMs) {
    checkInterrupted()
    if ((await counts(db)).due === 0) return Date.now() - start
    await sleep(200)
  }
  return null
}

async function measureTarget(
  target: Target,
  info: {
    route: string
    server: string
    pids: Record<string, number | undefined>
    children: Child[]
    /** The application_name of the server's PostgreSQL connections, to sample their waits. */
    pgApp?: { db: pg.Pool; name: string }
  },
  beforeRate?: () => Promise<void>,
): Promise<TargetResult> {
  const alive = () => {
    for (const c of info.children) assertAlive(c)
    checkInterrupted()
  }
  console.error(`[${target.name}] warm-up ${settings.warmupS} s at ${settings.connections} connections`)
  const warmup =
    settings.warmupS > 0
      ? await runLoad(target, 'warmup', { connections: settings.connections, durationS: settings.warmupS })
      : null
  alive()
  await beforeRate?.()
  console.error(
    `[${target.name}] fixed rate ${settings.rate} req/s over ${settings.rateConnections} connections, ${settings.durationS} s`,
  )
  const rate = await runLoad(target, 'rate', {
    connections: settings.rateConnections,
    durationS: settings.durationS,
    overallRate: settings.rate,
  })
  alive()
  console.error(`[${target.name}] saturation at ${settings.connections} connections, ${settings.durationS} s`)
  const before = cpuSnapshot(info.pids)
  const stopWaits = info.pgApp ? sampleWaits(info.pgApp.db, info.pgApp.name, settings.durationS + 5) : undefined
  const saturation = await runLoad(target, 'saturation', { connections: settings.connections, durationS: settings.durationS })
  const saturationCores = coresUsed(before, cpuSnapshot(info.pids))
  const saturationPgWaits = (await stopWaits?.()) ?? null
  alive()
  return {
    name: target.name,
    route: info.route,
    server: info.server,
    warmup,
    rate,
    saturation,
    saturationCores,
    saturationPgWaits,
  }
}

async function main(): Promise<number> {
  const config = loadConfig()
  assertLoopback('DATABASE_URL', config.DATABASE_URL)
  assertLoopback('REDIS_URL', config.REDIS_URL)
  const started = Date.now()
  const bodies = bodyGenerator()
  const db = new pg.Pool({ connectionString: config.DATABASE_URL, max: 2, options: `-c search_path=${schema}` })
  db.on('error', () => {})
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true })
  redis.on('error', () => {})
  let schemaMayExist = false
  let dropped = false
  try {
    await redis.connect()
    console.error(`schema ${schema}, BullMQ prefix ${bullPrefix}; API log level ${settings.logLevel}`)
    schemaMayExist = true
    await migrate({ DATABASE_URL: config.DATABASE_URL, DATABASE_SCHEMA: schema })
    await db.query(REFERENCE_TABLE_SQL)
    const env = {
      ...process.env,
      HOST: '127.0.0.1',
      DATABASE_URL: config.DATABASE_URL,
      DATABASE_SCHEMA: schema,
      DATABASE_POOL_SIZE: String(settings.poolSize),
      REDIS_URL: config.REDIS_URL,
      BULLMQ_PREFIX: bullPrefix,
      LOG_LEVEL: settings.logLevel,
      // The config's maximum; 16,667 req/s, far above what one IP sends here.
      RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
      RATE_LIMIT_PER_PHONE_PER_HOUR: '1000000',
      // Loopback only: the notify worker's Twilio calls go to a port nobody listens on.
      TWILIO_BASE_URL: `http://127.0.0.1:${await freePort()}`,
    }
    const [apiPort, refPort] = [await freePort(), await freePort()]
    // PGAPPNAME names each process's PostgreSQL connections (node-postgres reads it).
    const app = (name: string) => `${schema}-${name}`
    const api = startNode('API', API_ENTRY, {
      ...env,
      PORT: String(apiPort),
      PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
      PGAPPNAME: app('api'),
    })
    const ref = startNode('reference server', dist('./reference-server.js'), {
      ...env,
      PORT: String(refPort),
      PGAPPNAME: app('ref'),
    })
    const worker = settings.withWorker
      ? startNode('worker', WORKER_ENTRY, { ...env, PGAPPNAME: app('worker'), LOG_LEVEL: 'info' })
      : undefined
    const children = [api, ref, ...(worker ? [worker] : [])]
    await waitForHttp(api, `http://127.0.0.1:${apiPort}/readyz`)
    await waitForHttp(ref, `http://127.0.0.1:${refPort}/hello`)
    await sleep(500)
    for (const c of children) assertAlive(c)
    checkInterrupted()
    const pids = { api: api.proc.pid, reference: ref.proc.pid, worker: worker?.proc.pid }
    const host = await machine(db, redis)
    const code = gitState()

    const body = () => JSON.stringify(bodies.next())
    const refInfo = { server: 'reference', pids, children }
    const hello = await measureTarget(
      { name: 'hello', url: `http://127.0.0.1:${refPort}/hello`, method: 'GET', expectStatus: 200 },
      { ...refInfo, route: 'GET /hello' },
    )
    const insert = await measureTarget(
      { name: 'insert', url: `http://127.0.0.1:${refPort}/insert`, method: 'POST', expectStatus: 201, makeBody: body },
      { ...refInfo, route: 'POST /insert', pgApp: { db, name: app('ref') } },
    )
    let drainBeforeRateMs: number | null = null
    const intake = await measureTarget(
      { name: 'intake', url: `http://127.0.0.1:${apiPort}/api/v1/requests`, method: 'POST', expectStatus: 201, makeBody: body },
      { server: 'API', route: 'POST /api/v1/requests', pids, children, pgApp: { db, name: app('api') } },
      async () => {
        // Let the relay catch up with the warm-up so its backlog does not weigh on the latency run.
        if (worker) drainBeforeRateMs = await waitForOutbox(db, 15_000)
      },
    )
    // Requests autocannon dropped at the end of the run are still committing: let them land.
    let afterLoad = await counts(db)
    for (let i = 0; i < 20; i++) {
      await sleep(250)
      const again = await counts(db)
      if (again.requests === afterLoad.requests) break
      afterLoad = again
    }
    const drainMs = worker ? await waitForOutbox(db, 30_000) : null
    const afterDrain = await counts(db)
    const unsent = await unsentByTopic(db)
    const targets = [hello, insert, intake]

    const intakeRuns = [intake.warmup, intake.rate, intake.saturation]
    const intake201 = intakeRuns.reduce((n, m) => n + (m?.statusCodes['201'] ?? 0), 0)
    // autocannon drops the requests in flight when a run ends: the server still commits them.
    const inFlightBound = intakeRuns.reduce((n, m) => n + (m?.connections ?? 0), 0)
    const extraRows = afterDrain.requests - intake201
    const rowsOk = extraRows >= 0 && extraRows <= inFlightBound
    const unexpected = targets.reduce((n, t) => n + t.saturation.unexpected + t.rate.unexpected + (t.warmup?.unexpected ?? 0), 0)
    const notes = [
      `outbox: ${afterLoad.unsent} of ${afterLoad.outbox} rows unsent right after the intake load; ` +
        (worker
          ? drainMs === null
            ? `STILL ${afterDrain.due} due and unsent after 30 s`
            : `every due row sent ${drainMs} ms later; ${afterDrain.queued} requests queued`
          : 'no worker was running'),
      ...unsent.map(
        (u) => `  STILL UNSENT at the end: ${u.unsent} '${u.topic}' rows${u.lastError ? ` (last error: ${u.lastError})` : ''}`,
      ),
      `requests rows: ${afterDrain.requests} = ${intake201} answered 201 + ${extraRows} still in flight when runs ended` +
        (rowsOk ? ` (at most ${inFlightBound} possible: consistent)` : ` (MISMATCH: at most ${inFlightBound} can be in flight)`),
      `code measured: ${code.commit}${code.uncommitted.length ? ` + uncommitted changes in ${code.uncommitted.join(', ')}` : ''}`,
      `load generator: autocannon in this process, on the same ${host.nproc} cores as the servers, PostgreSQL and Redis`,
    ]
    const aims = judge(intake, insert)
    const printed = printReport({
      targets,
      aims,
      connections: settings.connections,
      logLevel: settings.logLevel,
      unexpected,
      notes,
    })
    const summary = {
      benchmark: 'intake',
      startedAt: new Date(started).toISOString(),
      runtimeS: round((Date.now() - started) / 1000, 1),
      machine: host,
      code,
      settings: { ...settings, apiLogLevel: settings.logLevel, schema, bullPrefix },
      targets,
      ratios: {
        intakeOverInsert: round(intake.saturation.reqPerSec / insert.saturation.reqPerSec, 3),
        intakeOverHello: round(intake.saturation.reqPerSec / hello.saturation.reqPerSec, 4),
      },
      aims,
      outbox: { afterLoad, drainBeforeRateMs, drainMs, afterDrain, unsentByTopic: unsent },
      requestsRows: afterDrain.requests,
      intake201,
      requestsInFlightAtRunEnds: extraRows,
      unexpected,
      valid: unexpected === 0 && rowsOk,
      report: printed,
    }
    const file = await writeResults('intake', stamp, summary)
    console.log(`\nsummary written to ${file} (runtime ${summary.runtimeS} s)`)
    return summary.valid ? 0 : 1
  } finally {
    await stopAll()
    if (schemaMayExist) dropped = await dropSchema(db, schema)
    const deleted = await deleteRedisKeys(redis, bullPrefix, bodies.requesterPhones).catch((err) => {
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
