/**
 * The fault run (`npm run bench:faults`): the service as an operator runs it (API, two workers,
 * a PostgreSQL and a Redis of the run's own on free ports, the fake Twilio), steady intake of
 * about 50 requests/s by API, web form and SMS, volunteers claiming and answering; then, one
 * after the other: kill -9 the API, kill -9 a worker, freeze Redis 30 s, kill Redis and start it
 * again empty, restart PostgreSQL. A killed process or server is started again after a few
 * seconds, as a supervisor would. Per fault: requests acknowledged, lost, left without a job,
 * duplicate jobs, notifications lost or sent twice, and seconds to recover. Exit 1 on any of
 * those, or if intake or the queues did not recover within the bound; processes that died by
 * themselves and notifications still behind at the bound are warnings (the end counts any
 * notification never sent). Results: stdout and bench/results/faults-<timestamp>.json.
 *
 * Env: FAULTS_RATE (intakes/s, 50: half API, 30% web form, 20% SMS), FAULTS_VOLUNTEERS (20),
 * FAULTS_THINK_MS (a volunteer's mean call, 1500), FAULTS_WARMUP_S (20), FAULTS_STEADY_S (before
 * each fault, 10), FAULTS_FREEZE_S (30), FAULTS_DOWN_S (how long a killed thing stays down, 5),
 * FAULTS_RECOVER_MAX_S (120), FAULTS_ONLY (e.g. `api,empty`: a subset, while developing).
 */
import os from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { missingReferences, notificationTallies, overlappingAttempts, unsentReasons, waitForDrain } from './consistency.js'
import { Crew, hireVolunteers } from './crew.js'
import { gitState } from './environment.js'
import { type FaultWindow, faultTable, figures, verdicts, warnings } from './fault-report.js'
import { FaultSteps, faultList } from './fault-steps.js'
import { envInt, interruptions, runMain, runNames, writeResults } from './harness.js'
import { Recorder } from './recorder.js'
import { BULL_PREFIX, RUN_SETTINGS, startStack } from './stack.js'
import { IntakeTraffic } from './traffic.js'
import { ApiClient } from './volunteers.js'

const settings = {
  rate: envInt('FAULTS_RATE', 50, 1, 1000),
  volunteers: envInt('FAULTS_VOLUNTEERS', 20, 1, 1000),
  thinkMs: envInt('FAULTS_THINK_MS', 1500, 0, 60_000),
  warmupS: envInt('FAULTS_WARMUP_S', 20, 1, 3600),
  steadyS: envInt('FAULTS_STEADY_S', 10, 1, 3600),
  freezeS: envInt('FAULTS_FREEZE_S', 30, 1, 3600),
  downS: envInt('FAULTS_DOWN_S', 5, 0, 3600),
  recoverMaxS: envInt('FAULTS_RECOVER_MAX_S', 120, 5, 3600),
  settleS: 5,
  graceS: 5,
}
const FAULTS = faultList({ downS: settings.downS, freezeS: settings.freezeS }, process.env.FAULTS_ONLY)
const { stamp } = runNames('faults')
const interrupt = interruptions('the run folder under /var/tmp/bailanys-bench-*')

async function main(): Promise<number> {
  const started = Date.now()
  const loadBefore = os.loadavg()
  console.error('starting PostgreSQL and Redis of its own, the API, two workers and the fake Twilio')
  const stack = await startStack({ workers: 2, apiLogLevel: 'warn' })
  const api = new ApiClient(stack.apiPort, settings.volunteers + 8, 10_000)
  let stopCrew = false
  try {
    const recorder = new Recorder()
    const volunteers = await hireVolunteers(stack.db, api, settings.volunteers, interrupt.stopped)
    const r = settings.rate
    const traffic = new IntakeTraffic({
      baseUrl: stack.publicBaseUrl,
      recorder,
      rates: { api: r * 0.5, web: r * 0.3, sms: r * 0.2 },
      maxInFlight: 500,
    })
    const crew = new Crew(api, recorder, settings.thinkMs)
    const crewDone = Promise.all(
      volunteers.map((v) =>
        crew.work(v, {
          deadline: Date.now() + 24 * 3600_000,
          stopped: () => stopCrew || interrupt.stopped(),
          maxIterations: 1_000_000,
        }),
      ),
    )
    traffic.start()
    const windows: FaultWindow[] = []
    const open = (name: string): FaultWindow => {
      const w: FaultWindow = {
        name,
        from: Date.now(),
        to: Number.POSITIVE_INFINITY,
        maxDuplicates: 0,
        end: null,
        newStranded: 0,
        incidents: [],
      }
      const previous = windows.at(-1)
      if (previous) previous.to = w.from
      windows.push(w)
      return w
    }
    const steps = new FaultSteps(stack, traffic, { ...settings, check: interrupt.check })
    const close = async (w: FaultWindow) => {
      w.end = await steps.endLook()
      const before = new Set(windows.at(-2)?.end?.stranded ?? [])
      w.newStranded = (w.end?.stranded ?? []).filter((id) => !before.has(id)).length
    }
    console.error(`steady: ${settings.warmupS} s at ${r} intakes/s with ${volunteers.length} volunteers`)
    const first = open('steady, no fault')
    await steps.steady(first, settings.warmupS)
    await close(first)
    for (const fault of FAULTS) {
      const w = open(fault.name)
      await steps.steady(w, settings.steadyS)
      console.error(`fault: ${fault.name}`)
      await steps.run(fault, w)
      console.error(`  recovered: ${JSON.stringify(w.recovery)}`)
      await steps.steady(w, settings.settleS)
      await close(w)
    }
    console.error('stopping the traffic and the volunteers; waiting for the queues and Twilio to drain')
    await traffic.stop()
    const trafficEnd = Date.now()
    stopCrew = true
    await Promise.race([crewDone, sleep(60_000)])
    const last = windows.at(-1) as FaultWindow
    last.to = Date.now() + 1
    const drained = await waitForDrain(stack.db, stack.redis, { prefix: BULL_PREFIX, since: trafficEnd, timeoutMs: 180_000 })
    const finalLook = await steps.endLook()
    const acked = traffic.intakes.filter((i) => i.reference)
    const missing = new Set(
      await missingReferences(
        stack.db,
        acked.map((i) => i.reference as string),
      ),
    )
    const notes = await notificationTallies(stack.db, stack.fake, windows)
    const all = windows.map((w, i) => figures(w, traffic.intakes, missing, notes.tallies[i]))
    const final = {
      stranded: finalLook?.stranded.length ?? -1,
      duplicates: finalLook?.duplicates.length ?? -1,
      overlapping: await overlappingAttempts(stack.db),
      httpDoubleHolds: crew.doubleHolds().length,
      unknownSends: notes.unknownSends,
    }
    const failures = verdicts(all, final)
    const anyLost = all.some((f) => f.notificationsLost > 0)
    const unsent = anyLost ? await unsentReasons(stack.db, stack.redis, stack.fake, BULL_PREFIX).catch(() => ({})) : {}
    const logLines = Object.entries(stack.logLines).sort(([, a], [, b]) => b - a)
    if (!finalLook) failures.push('the final look at PostgreSQL and Redis failed')
    const text = [
      '',
      faultTable(all),
      '',
      ...warnings(all).map((w) => `WARN ${w}`),
      `drained ${drained === null ? 'NOT within 180 s' : `${drained} s after the traffic stopped`}; at the end: ${JSON.stringify(final)}`,
      `intakes: ${traffic.intakes.length} attempted, ${acked.length} acknowledged; volunteers: ${JSON.stringify(crew.counts)}`,
      `notification rows: ${notes.rows}; messages ${stack.fake.messages.length}, calls ${stack.fake.calls.length} at the fake Twilio; ` +
        `the API's answers to its status callbacks: ${JSON.stringify(stack.callbacks)}`,
      ...(anyLost ? [`notifications never sent, why: ${JSON.stringify(unsent)}`] : []),
      `log lines at warn and above: ${
        logLines.length
          ? logLines
              .slice(0, 12)
              .map(([k, v]) => `\n  ${v} × ${k}`)
              .join('')
          : 'none'
      }`,
      failures.length
        ? `FAIL:\n  ${failures.join('\n  ')}`
        : 'PASS: nothing lost, nothing stranded, no duplicate; intake and the queues recovered from every fault',
    ].join('\n')
    console.log(text)
    const file = await writeResults('faults', stamp, {
      benchmark: 'faults',
      startedAt: new Date(started).toISOString(),
      runtimeS: (Date.now() - started) / 1000,
      code: gitState(),
      machine: { nproc: os.availableParallelism(), node: process.version, loadavgBefore: loadBefore, loadavgAfter: os.loadavg() },
      settings: { ...settings, service: RUN_SETTINGS, faults: FAULTS.map((f) => f.name) },
      windows: all,
      snapshots: windows.map((w) => ({
        window: w.name,
        end: w.end && { ...w.end, stranded: w.end.stranded.length, duplicates: w.end.duplicates.length },
      })),
      final,
      finalLook,
      drainedS: drained,
      crew: { counts: crew.counts, failures: crew.failures },
      statusCallbacks: stack.callbacks,
      logLines: stack.logLines,
      unsent,
      routes: recorder.summary(),
      intakeFailures: tally(traffic.intakes.filter((i) => !i.reference).map((i) => `${i.channel} ${i.failure}`)),
      failures,
      warnings: warnings(all),
      report: text,
    })
    console.log(`\nsummary written to ${file}`)
    return failures.length === 0 ? 0 : 1
  } finally {
    stopCrew = true
    api.close()
    console.error(`cleaned up: ${(await stack.close()).replace(/\n/g, '; ')}`)
  }
}

function tally(keys: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const k of keys) out[k] = (out[k] ?? 0) + 1
  return out
}

runMain('bench:faults', main)
