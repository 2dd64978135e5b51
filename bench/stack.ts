/**
 * The whole service as an operator runs it, for the fault run and the soak: a PostgreSQL and a
 * Redis of the run's own (bench/local-services.ts), the API and N workers each in its own process
 * from the build, and the fake Twilio in this process (the service reaches it through
 * TWILIO_BASE_URL; its record of every message and call is what the runs count notifications by).
 * Processes can be killed and started again on the same port and environment.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import pg from 'pg'
import { createFakeTwilio, type FakeTwilio } from '../dev/fake-twilio/server.js'
import { migrate } from '../src/db/migrations.js'
import { API_ENTRY, WORKER_ENTRY } from './harness.js'
import { type LocalServices, startLocalServices } from './local-services.js'
import { assertAlive, type Child, freePort, startNode, stopAll, waitForHttp } from './processes.js'

export const ACCOUNT_SID = 'AC00000000000000000000000000000000'
export const AUTH_TOKEN = 'fake-twilio-auth-token'
export const BULL_PREFIX = '{bailanys}'

/**
 * The settings both runs give the service, each chosen so that a run of minutes shows what a day
 * would: short leases and retry delays, Twilio at 100 messages/s (the default 1/s could never keep
 * up with 50 requests/s), rate limits out of the way of one load generator on one address.
 */
export const RUN_SETTINGS: Record<string, string> = {
  LEASE_SECONDS: '30',
  RETRY_DELAYS_MINUTES: '1,1,1',
  RECONCILE_EVERY_MS: '2000',
  NOTIFY_RATE_PER_SECOND: '100',
  NOTIFY_BACKOFF_MS: '1000',
  RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
  RATE_LIMIT_PER_PHONE_PER_HOUR: '1000000',
  TWILIO_VOICE_FROM: '+15005550006',
}

export type Stack = Awaited<ReturnType<typeof startStack>>

/**
 * The fake Twilio posts every status callback with one shared AbortSignal, and fetch leaves its
 * listener on that signal until the request is garbage-collected: past 1,500 Node warns, once per
 * callback. Those warnings are counted, not printed; every other warning is.
 */
export const warnings = { abortListeners: 0 }
process.removeAllListeners('warning')
process.on('warning', (w) => {
  if (w.name === 'MaxListenersExceededWarning') warnings.abortListeners++
  else console.error(`warning: ${w.name}: ${w.message}`)
})

/** Waits (bounded) for a line matching `pattern` in a child's output. */
async function waitForLine(child: Child, pattern: RegExp, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    assertAlive(child)
    if (pattern.test(child.tail())) return
    await sleep(100)
  }
  throw new Error(`${child.name} did not log ${pattern} within ${timeoutMs} ms; its last output:\n${child.tail()}`)
}

/**
 * Counts a child's log lines at warn and above by process, message, error type and code (the
 * service's logs carry no personal data; only these four fields are kept), to tell what the 5xx
 * of a run were.
 */
function countLogLines(child: Child, counts: Record<string, number>) {
  const name = child.name.replace(/ \d+$/, '')
  let rest = ''
  const read = (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines) {
      if (!line.startsWith('{')) continue
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { type?: string; code?: string } }
        if ((entry.level ?? 0) < 40) continue
        const key = [name, entry.level === 40 ? 'warn' : 'error', entry.msg, entry.err?.type, entry.err?.code]
          .filter(Boolean)
          .join(' · ')
        counts[key] = (counts[key] ?? 0) + 1
      } catch {
        // Not a log line of ours.
      }
    }
  }
  child.proc.stdout?.on('data', read)
  child.proc.stderr?.on('data', read)
}

/** Why a child stopped, in one short line: its last error log line (message, error type, code), else its exit. */
export function deathNote(child: Child): string {
  const errors = child
    .tail()
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"level":50'))
  const last = errors.at(-1)
  let why = 'no error logged'
  if (last) {
    try {
      const e = JSON.parse(last) as { msg?: string; err?: { type?: string; code?: string; message?: string } }
      why = [e.msg, e.err?.type, e.err?.code, e.err?.message?.slice(0, 120)].filter(Boolean).join(' · ')
    } catch {
      why = last.slice(0, 200)
    }
  }
  return `${child.name} exited ${JSON.stringify(child.exited())}: ${why}`
}

/** Kills a child with SIGKILL and waits for it to be gone. */
async function killChild(child: Child) {
  if (child.exited()) return
  const exited = new Promise<void>((resolve) => child.proc.once('exit', () => resolve()))
  child.proc.kill('SIGKILL')
  await Promise.race([exited, sleep(10_000)])
}

export async function startStack(options: { workers: number; apiLogLevel: string; env?: Record<string, string> }) {
  const services: LocalServices = await startLocalServices()
  let fake: FakeTwilio | undefined
  /** The service's answers to the fake Twilio's status callbacks: HTTP status, or `error`. */
  const callbacks: Record<string, number> = {}
  /** Log lines at warn and above of every process, counted by what they say. */
  const logLines: Record<string, number> = {}
  const db = new pg.Pool({ connectionString: services.databaseUrl, max: 4, connectionTimeoutMillis: 3000 })
  db.on('error', () => {})
  // The run's own look at Redis: short deadlines, since it is frozen and killed on purpose.
  const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 1, commandTimeout: 3000, lazyConnect: true })
  redis.on('error', () => {})
  try {
    await migrate({ DATABASE_URL: services.databaseUrl, DATABASE_SCHEMA: 'public' })
    const apiPort = await freePort()
    const publicBaseUrl = `http://127.0.0.1:${apiPort}`
    fake = await createFakeTwilio({
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      webhookBaseUrl: publicBaseUrl,
      autoStatusCallbacks: true,
      onActivity: (a) => {
        if (a.kind === 'callback') callbacks[a.answer] = (callbacks[a.answer] ?? 0) + 1
      },
    })
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(apiPort),
      DATABASE_URL: services.databaseUrl,
      DATABASE_SCHEMA: 'public',
      REDIS_URL: services.redisUrl,
      BULLMQ_PREFIX: BULL_PREFIX,
      PUBLIC_BASE_URL: publicBaseUrl,
      TWILIO_BASE_URL: fake.url,
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      ...RUN_SETTINGS,
      ...options.env,
    }
    const children = { api: undefined as Child | undefined, workers: [] as (Child | undefined)[] }
    const startApi = async () => {
      const api = startNode('API', API_ENTRY, { ...env, LOG_LEVEL: options.apiLogLevel, PGAPPNAME: 'bailanys-api' })
      children.api = api
      countLogLines(api, logLines)
      await waitForHttp(api, `${publicBaseUrl}/healthz`, 30_000)
      return api
    }
    // The worker logs at info: it writes nothing per job at that level, and its start and stop show.
    const startWorker = async (i: number) => {
      const worker = startNode(`worker ${i + 1}`, WORKER_ENTRY, {
        ...env,
        LOG_LEVEL: 'info',
        PGAPPNAME: `bailanys-worker-${i + 1}`,
      })
      children.workers[i] = worker
      countLogLines(worker, logLines)
      await waitForLine(worker, /workers started/, 30_000)
      return worker
    }
    await redis.connect()
    await startApi()
    for (let i = 0; i < options.workers; i++) await startWorker(i)
    await waitForHttp(children.api as Child, `${publicBaseUrl}/readyz`, 30_000)
    const twilio = fake
    return {
      services,
      db,
      redis,
      fake: twilio,
      callbacks,
      logLines,
      apiPort,
      publicBaseUrl,
      env,
      api: () => children.api,
      worker: (i: number) => children.workers[i],
      startApi,
      startWorker,
      killApi: () => killChild(children.api as Child),
      killWorker: (i: number) => killChild(children.workers[i] as Child),
      /** The pids worth watching: the API, each worker, Redis and the postmaster. */
      async pids(): Promise<Record<string, number | undefined>> {
        const pids: Record<string, number | undefined> = { api: children.api?.proc.pid }
        children.workers.forEach((w, i) => {
          pids[`worker${i + 1}`] = w?.proc.pid
        })
        pids.redis = (await services.redisPid()) ?? undefined
        pids.postgres = (await services.postgresPid()) ?? undefined
        return pids
      },
      async close() {
        await stopAll()
        await twilio.close().catch(() => {})
        redis.disconnect()
        await db.end().catch(() => {})
        return services.stop()
      },
    }
  } catch (err) {
    await stopAll()
    await fake?.close().catch(() => {})
    redis.disconnect()
    await db.end().catch(() => {})
    await services.stop()
    throw err
  }
}
