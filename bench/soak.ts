/**
 * The soak (`npm run bench:soak -- --duration 10m`): the service as an operator runs it (the
 * fault run's stack: API, two workers, a PostgreSQL and a Redis of its own, the fake Twilio) at a
 * realistic mix for a while: about 50 intakes/s by API, web form and SMS, volunteers claiming and
 * recording outcomes, coordinators' dashboards on the live backlog stream (SSE), requesters
 * looking up their status. Reported: RSS of each process at the start, every 30 s and at the end,
 * p50/p99 per route, the answers that were not expected, and the fault run's bookkeeping checks
 * (nothing lost or stranded, no duplicate job or notification). Exit 1 on an unexpected answer
 * or a failed check. Results: stdout and bench/results/soak-<timestamp>.json.
 *
 * Flags/env: --duration (or SOAK_DURATION; 600, 600s, 10m; default 10m), SOAK_RATE (intakes/s,
 * 50), SOAK_VOLUNTEERS (20), SOAK_THINK_MS (1500), SOAK_SSE_CLIENTS (5).
 */
import os from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { insertAccount } from '../src/db/account-repository.js'
import { hashPassword } from '../src/services/auth.js'
import {
  confirmedSnapshot,
  missingReferences,
  notificationTallies,
  overlappingAttempts,
  unsentReasons,
  waitForDrain,
} from './consistency.js'
import { coresUsed, cpuSnapshot } from './cpu.js'
import { Crew, hireVolunteers } from './crew.js'
import { gitState } from './environment.js'
import { envInt, flag, interruptions, parseDuration, runMain, runNames, writeResults } from './harness.js'
import { type MemorySample, postgresCpuSeconds, sampleMemory } from './memory.js'
import { Recorder } from './recorder.js'
import { round } from './report.js'
import { memoryTable, minuteTable, routeTable, unexpectedAnswers } from './soak-report.js'
import { liveStream } from './sse.js'
import { BULL_PREFIX, deathNote, RUN_SETTINGS, startStack, warnings } from './stack.js'
import { IntakeTraffic } from './traffic.js'
import { ApiClient } from './volunteers.js'

const settings = {
  durationS: parseDuration(flag('duration') ?? process.env.SOAK_DURATION ?? '10m'),
  rate: envInt('SOAK_RATE', 50, 1, 1000),
  volunteers: envInt('SOAK_VOLUNTEERS', 20, 1, 1000),
  thinkMs: envInt('SOAK_THINK_MS', 1500, 0, 60_000),
  sseClients: envInt('SOAK_SSE_CLIENTS', 5, 0, 200),
  /** Status look-ups by requesters (the route allows 60 a minute per address). */
  statusEveryMs: 2000,
  sampleEveryS: 30,
}
const { stamp } = runNames('soak')
const interrupt = interruptions('the run folder under /var/tmp/bailanys-bench-*')

async function main(): Promise<number> {
  const started = Date.now()
  const loadBefore = os.loadavg()
  console.error(`soak: ${settings.durationS} s; starting PostgreSQL and Redis of its own, the API, two workers, the fake Twilio`)
  const stack = await startStack({ workers: 2, apiLogLevel: 'warn' })
  const api = new ApiClient(stack.apiPort, settings.volunteers + 16, 10_000)
  let stop = false
  try {
    const volunteers = await hireVolunteers(stack.db, api, settings.volunteers, interrupt.stopped)
    const phone = '+77009999999'
    await insertAccount(stack.db, {
      ...{ role: 'coordinator', name: 'Coordinator', phone, passwordHash: await hashPassword('bench coordinator password') },
      ...{ languages: ['kk', 'ru', 'en'], status: 'approved' },
    })
    const login = await api.call('POST', '/api/v1/auth/login', {
      json: { login: phone, password: 'bench coordinator password' },
      localAddress: '127.0.1.1',
    })
    const token = login.error === undefined ? (login.body as { token?: string })?.token : undefined
    if (!token) throw new Error(`the coordinator could not log in: ${JSON.stringify(login)}`)

    const r = settings.rate
    // Created just before the load, so that its minutes and the memory samples' seconds line up.
    const recorder = new Recorder()
    const traffic = new IntakeTraffic({
      baseUrl: stack.publicBaseUrl,
      recorder,
      rates: { api: r * 0.5, web: r * 0.3, sms: r * 0.2 },
      maxInFlight: 500,
    })
    const deadline = Date.now() + settings.durationS * 1000
    const over = () => stop || interrupt.stopped() || Date.now() >= deadline
    const crew = new Crew(api, recorder, settings.thinkMs)
    const streams = Array.from({ length: settings.sseClients }, () => liveStream({ port: stack.apiPort, token, recorder, over }))
    const lookups = (async () => {
      for (let i = 0; i < 1_000_000 && !over(); i++) {
        await sleep(settings.statusEveryMs)
        const acked = traffic.intakes.filter((x) => x.reference && x.channel === 'api').slice(-500)
        const one = acked[Math.floor(Math.random() * acked.length)]
        if (!one) continue
        const url = `${stack.publicBaseUrl}/api/v1/requests/${one.reference}?phone=${encodeURIComponent(one.phone)}`
        await recorder.fetch('GET /api/v1/requests/:reference', url, { timeoutMs: 10_000 })
      }
    })()
    const pids = await stack.pids()
    const memory: MemorySample[] = [sampleMemory(pids, 0)]
    // cpu.ts sums every postgres on the machine under "postgres": this run's cluster is counted apart.
    const { postgres: postmaster, ...nodePids } = pids
    const cpuBefore = { node: cpuSnapshot(nodePids), pg: postgresCpuSeconds(postmaster ?? 0), at: performance.now() }
    const loadStart = Date.now()
    traffic.start()
    const crewDone = Promise.all(volunteers.map((v) => crew.work(v, { deadline, stopped: over, maxIterations: 1_000_000 })))
    const died: string[] = []
    while (!over()) {
      await sleep(Math.min(settings.sampleEveryS * 1000, Math.max(0, deadline - Date.now())))
      for (const c of [stack.api(), stack.worker(0), stack.worker(1)])
        if (c?.exited() && !died.some((d) => d.startsWith(`${c.name} `))) died.push(deathNote(c))
      memory.push(sampleMemory(await stack.pids(), Math.round((Date.now() - loadStart) / 1000)))
      console.error(
        `${Math.round((deadline - Date.now()) / 1000)} s left; ${traffic.intakes.length} intakes, ${crew.counts.outcomes} outcomes`,
      )
    }
    const cores = coresUsed(cpuBefore.node, cpuSnapshot(nodePids)) ?? {}
    cores.postgres = round((postgresCpuSeconds(postmaster ?? 0) - cpuBefore.pg) / ((performance.now() - cpuBefore.at) / 1000), 2)
    await traffic.stop()
    stop = true
    await Promise.race([Promise.all([crewDone, lookups, ...streams]), sleep(60_000)])
    const streamStats = await Promise.race([Promise.all(streams), sleep(1000).then(() => [])])
    const trafficEnd = Date.now()
    const drainedS = await waitForDrain(stack.db, stack.redis, { prefix: BULL_PREFIX, since: trafficEnd, timeoutMs: 180_000 })
    const finalLook = await confirmedSnapshot(stack.db, stack.redis, { prefix: BULL_PREFIX, graceS: 2 }).catch(() => null)
    const acked = traffic.intakes.filter((x) => x.reference)
    const lost = await missingReferences(
      stack.db,
      acked.map((x) => x.reference as string),
    )
    const notes = await notificationTallies(stack.db, stack.fake, [{ from: 0, to: Number.POSITIVE_INFINITY }])
    const n = notes.tallies[0]
    const routes = recorder.summary()
    const errors = unexpectedAnswers(routes, stack.callbacks)
    const checks = {
      lost: lost.length,
      stranded: finalLook?.stranded.length ?? -1,
      duplicateJobs: finalLook?.duplicates.length ?? -1,
      notificationsLost: n?.lost ?? -1,
      notificationsDoubled: n?.doubled ?? -1,
      overlappingAttempts: await overlappingAttempts(stack.db),
      httpDoubleHolds: crew.doubleHolds().length,
      processesDied: died.length,
    }
    const unsent = n?.lost ? await unsentReasons(stack.db, stack.redis, stack.fake, BULL_PREFIX).catch(() => ({})) : {}
    const failed = Object.entries(checks).filter(([, v]) => v !== 0)
    const logLines = Object.entries(stack.logLines).sort(([, a], [, b]) => b - a)
    const text = [
      '',
      routeTable(routes),
      '',
      memoryTable(memory, cores),
      `postgres: PSS of the postmaster and its ${memory.at(-1)?.postgresProcesses ?? '?'} processes (shared buffers counted once); others: RSS`,
      '',
      minuteTable(recorder.buckets(60), memory),
      '',
      `intakes: ${traffic.intakes.length} attempted, ${acked.length} acknowledged; volunteers: ${JSON.stringify(crew.counts)}`,
      `notifications: ${n?.rows} rows, ${n?.sent} sent; drained ${drainedS === null ? 'NOT within 180 s' : `${drainedS} s`} after the traffic stopped` +
        (n?.lost ? `; never sent: ${JSON.stringify(unsent)}` : ''),
      `dashboards: ${streamStats.length} SSE clients, ${streamStats.reduce((a, x) => a + x.events, 0)} backlog events, ` +
        `${streamStats.reduce((a, x) => a + x.connections, 0)} connections, longest silence ${Math.max(0, ...streamStats.map((x) => x.longestSilenceS))} s`,
      `Twilio's status callbacks, the API's answers: ${JSON.stringify(stack.callbacks)} (${warnings.abortListeners} abort-listener warnings counted, not printed)`,
      `log lines at warn and above: ${
        logLines.length
          ? logLines
              .slice(0, 12)
              .map(([k, v]) => `\n  ${v} × ${k}`)
              .join('')
          : 'none'
      }`,
      `checks: ${JSON.stringify(checks)}`,
      ...died.map((d) => `DIED: ${d}`),
      errors.length
        ? `ERRORS (answers not expected):\n  ${errors.join('\n  ')}`
        : 'errors: none (every answer was an expected one)',
      failed.length || errors.length ? 'FAIL' : 'PASS',
    ].join('\n')
    console.log(text)
    const file = await writeResults('soak', stamp, {
      benchmark: 'soak',
      startedAt: new Date(started).toISOString(),
      runtimeS: (Date.now() - started) / 1000,
      code: gitState(),
      machine: { nproc: os.availableParallelism(), node: process.version, loadavgBefore: loadBefore, loadavgAfter: os.loadavg() },
      settings: { ...settings, service: RUN_SETTINGS },
      routes,
      perMinute: recorder.buckets(60),
      errors,
      logLines: stack.logLines,
      unsent,
      memory,
      cores,
      streams: streamStats,
      checks,
      finalLook,
      crew: { counts: crew.counts, failures: crew.failures },
      report: text,
    })
    console.log(`\nsummary written to ${file}`)
    return failed.length || errors.length ? 1 : 0
  } finally {
    stop = true
    api.close()
    console.error(`cleaned up: ${(await stack.close()).replace(/\n/g, '; ')}`)
  }
}

runMain('bench:soak', main)
