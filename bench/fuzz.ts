/**
 * The larger fuzz run: the suite's properties (test/fuzz/) over every public input, FUZZ_SCALE
 * times as many cases (default 3: about 12,000), counting rather than stopping at the first
 * problem. Its own schema and BullMQ prefix on the local PostgreSQL and Redis, dropped after.
 * Prints cases, answers by status and code, 5xx and problems per input, and the time taken;
 * writes bench/results/fuzz-<stamp>.json; exits 1 on any 5xx, partial row or unhandled rejection.
 *
 *   npm run fuzz                      FUZZ_SCALE=10 npm run fuzz      FUZZ_SEED=42 npm run fuzz
 */
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import { Redis } from 'ioredis'
import pg from 'pg'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { migrate } from '../src/db/migrations.js'
import { coordinatorTargets } from '../test/fuzz/coordinator-targets.js'
import { badStoredText, fuzz, partialRequests, type Tally } from '../test/fuzz/harness.js'
import { publicTargets } from '../test/fuzz/public-targets.js'
import { prepare } from '../test/fuzz/setup.js'
import { twilioTargets } from '../test/fuzz/twilio-targets.js'
import { assertLoopback, gitState } from './environment.js'
import { deleteKeys, dropSchema, envInt, runMain, runNames, writeResults } from './harness.js'

async function main(): Promise<number> {
  const scale = envInt('FUZZ_SCALE', 3, 1, 1000)
  const seed = process.env.FUZZ_SEED ? envInt('FUZZ_SEED', 0, -(2 ** 31), 2 ** 31 - 1) : Date.now() % 2 ** 31
  const names = runNames('fuzz')
  const base = loadConfig({ ...process.env, LOG_LEVEL: 'silent' })
  assertLoopback('DATABASE_URL', base.DATABASE_URL)
  assertLoopback('REDIS_URL', base.REDIS_URL)
  // As the suite's config: rate limits out of the way, so that inputs reach the handlers.
  const config = {
    ...base,
    DATABASE_SCHEMA: names.schema,
    BULLMQ_PREFIX: names.bullPrefix,
    RATE_LIMIT_PER_IP_PER_MINUTE: 1_000_000,
    RATE_LIMIT_PER_PHONE_PER_HOUR: 1_000_000,
  }
  const rejections: unknown[] = []
  process.on('unhandledRejection', (reason) => rejections.push(reason))
  await migrate(config)
  const app = await buildApp(config)
  const admin = new pg.Pool({ connectionString: config.DATABASE_URL, max: 1 })
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 })
  try {
    await app.ready()
    const { session, seeded } = await prepare(app)
    const targets = [
      ...(await publicTargets(app, seeded)),
      ...twilioTargets(app, config, seeded),
      ...coordinatorTargets(app, session, seeded),
    ]
    const results: (Tally & { name: string; seconds: number })[] = []
    const started = performance.now()
    for (const [i, target] of targets.entries()) {
      const t0 = performance.now()
      const numRuns = Math.round((target.runs ?? 150) * scale)
      const tally = await fuzz(app.db, target, { numRuns, stopAtFirst: false, seed: seed + i })
      const seconds = (performance.now() - t0) / 1000
      results.push({ name: target.name, seconds, ...tally })
      const fives = tally.byStatus['5xx'] ?? 0
      console.log(`${target.name.padEnd(58)} ${String(tally.cases).padStart(6)} cases  ${fives} × 5xx  ${seconds.toFixed(1)} s`)
      for (const problem of tally.problems.slice(0, 5)) console.log(`    ${problem.slice(0, 400)}`)
    }
    const seconds = (performance.now() - started) / 1000
    const partial = await partialRequests(app.db)
    const badText = await badStoredText(app.db)
    const cases = results.reduce((n, r) => n + r.cases, 0)
    const fives = results.reduce((n, r) => n + (r.byStatus['5xx'] ?? 0), 0)
    const problems = results.reduce((n, r) => n + r.problems.length, 0)
    const summary = {
      kind: 'fuzz',
      at: new Date().toISOString(),
      command: `FUZZ_SCALE=${scale} FUZZ_SEED=${seed} npm run fuzz`,
      git: gitState(),
      machine: { nproc: os.availableParallelism(), cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version },
      seed,
      scale,
      cases,
      fiveHundreds: fives,
      problems,
      partialRequests: partial,
      badStoredText: badText.length,
      unhandledRejections: rejections.length,
      seconds: Math.round(seconds * 10) / 10,
      casesPerSecond: Math.round(cases / seconds),
      targets: results.map(({ problems, ...r }) => ({ ...r, problems: problems.slice(0, 20) })),
    }
    const file = await writeResults('fuzz', names.stamp, summary)
    console.log(
      `\n${cases} cases in ${summary.seconds} s (${summary.casesPerSecond}/s), seed ${seed}: ${fives} × 5xx, ` +
        `${problems} problems, ${partial} partial requests, ${badText.length} bad stored texts, ` +
        `${rejections.length} unhandled rejections\n${file}`,
    )
    return fives + problems + partial + badText.length + rejections.length === 0 ? 0 : 1
  } finally {
    await app.close()
    await dropSchema(admin, names.schema)
    await deleteKeys(redis, [`${names.bullPrefix}*`, `${names.schema}:*`])
    await admin.end()
    redis.disconnect()
  }
}

runMain('fuzz', main)
