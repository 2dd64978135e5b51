/**
 * Simulated volunteers for the claims benchmark: a small keep-alive HTTP client (node:http, one
 * socket per volunteer at most), the logins, and the volunteer loop (claim → outcome until the
 * queues of their languages are empty). Every answer is timed and counted here; the benchmark
 * checks the bookkeeping against the database afterwards.
 */
import http from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { VolunteerAccount } from './backlog.js'

export type Reply = { status: number; body: unknown; ms: number; error?: undefined } | { error: string; ms: number }

export class ApiClient {
  private readonly agent: http.Agent
  constructor(
    readonly port: number,
    maxSockets: number,
    private readonly timeoutMs = 30_000,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets })
  }

  /** One request to the API on loopback; never rejects: a socket error or timeout is a Reply too. */
  call(
    method: 'GET' | 'POST',
    path: string,
    options: { token?: string; json?: unknown; localAddress?: string } = {},
  ): Promise<Reply> {
    const payload = options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json))
    const headers: Record<string, string | number> = {}
    if (options.token) headers.authorization = `Bearer ${options.token}`
    if (payload) {
      headers['content-type'] = 'application/json'
      headers['content-length'] = payload.length
    }
    const start = performance.now()
    return new Promise((resolve) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          headers,
          // A fixed source address needs its own socket: no pooling for those (the logins).
          ...(options.localAddress ? { agent: false, localAddress: options.localAddress } : { agent: this.agent }),
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('error', (err) => resolve({ error: err.message, ms: performance.now() - start }))
          res.on('end', () => {
            const ms = performance.now() - start
            const text = Buffer.concat(chunks).toString()
            let body: unknown = null
            try {
              body = text ? JSON.parse(text) : null
            } catch {
              body = text
            }
            resolve({ status: res.statusCode ?? 0, body, ms })
          })
        },
      )
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error('timeout')))
      req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message, ms: performance.now() - start }))
      req.end(payload)
    })
  }

  close() {
    this.agent.destroy()
  }
}

/** `409 APP_ERR_NO_LEASE`, `500 APP_ERR_INTERNAL`, `ECONNRESET`…: how a failed call is counted. */
export function failureKey(reply: Reply): string {
  if (reply.error !== undefined) return `error ${reply.error}`
  const code = (reply.body as { code?: unknown } | null)?.code
  return `${reply.status}${typeof code === 'string' ? ` ${code}` : ''}`
}

export type Volunteer = VolunteerAccount & { token: string }

/** The login route allows 20 a minute per client IP: each block of 20 volunteers logs in from its own 127.0.0.x. */
export const LOGINS_PER_ADDRESS = 20
export const loginAddress = (index: number) => `127.0.0.${2 + Math.floor(index / LOGINS_PER_ADDRESS)}`

/** Logs every volunteer in through POST /api/v1/auth/login (argon2 verify), a few at a time. */
export async function logIn(
  api: ApiClient,
  accounts: VolunteerAccount[],
  password: string,
  stopped: () => boolean,
  concurrency = 8,
): Promise<{ volunteers: Volunteer[]; latenciesMs: number[] }> {
  const volunteers: Volunteer[] = []
  const latenciesMs: number[] = []
  let next = 0
  const one = async () => {
    for (let i = next++; i < accounts.length; i = next++) {
      if (stopped()) throw new Error('interrupted while logging in')
      const account = accounts[i] as VolunteerAccount
      const reply = await api.call('POST', '/api/v1/auth/login', {
        json: { login: account.phone, password },
        localAddress: loginAddress(account.index),
      })
      const token = reply.error === undefined ? (reply.body as { token?: string } | null)?.token : undefined
      if (reply.error !== undefined || reply.status !== 200 || !token) {
        const detail = reply.error ?? `${reply.status} ${JSON.stringify(reply.body)}`
        throw new Error(`login of volunteer ${account.index} failed: ${detail}`)
      }
      latenciesMs.push(reply.ms)
      volunteers[i] = { ...account, token }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, accounts.length) }, one))
  return { volunteers, latenciesMs }
}

export type Holder = { volunteer: number; done: boolean }

/** Everything the volunteers saw, shared by all loops (one event loop: no locking needed). */
export class Tally {
  readonly claimMs: number[] = []
  readonly outcomeMs: number[] = []
  /** Latency of the 204 answers (nothing left for this volunteer). */
  readonly emptyMs: number[] = []
  readonly doubleClaims: { reference: string; first: number; second: number; firstDone: boolean }[] = []
  readonly wrongLanguage: { reference: string; volunteer: number; language: string }[] = []
  readonly failures: Record<string, number> = {}
  /** Fresh claims per second since `startedAt`. */
  readonly perSecond: number[] = []
  readonly stopReasons: Record<string, number> = {}
  claims = 0
  outcomes = 0
  /** A claim answered with the task the volunteer already held (after a failed outcome). */
  reserved = 0
  /** A 204 followed, after the pause, by a 200: the first 204 was premature. */
  prematureEmpties = 0
  lastClaimAt = 0
  constructor(
    /** reference → who claimed it; a second volunteer getting it is a double claim. Shared by the phases. */
    readonly holders = new Map<string, Holder>(),
    readonly startedAt = performance.now(),
  ) {}

  fail(what: 'claim' | 'outcome', reply: Reply) {
    const key = `${what} ${failureKey(reply)}`
    this.failures[key] = (this.failures[key] ?? 0) + 1
  }
}

export type LoopOptions = {
  api: ApiClient
  tally: Tally
  /** performance.now() after which no new claim starts. */
  deadline: number
  stopped: () => boolean
  /** Pause between a 204 and the confirming second claim. */
  emptyPauseMs: number
  /**
   * A volunteer's mean pause between an outcome and the next claim (0: flat out). Each pause is
   * drawn from 0.5–1.5× this, and each volunteer starts after a pause of 0–1× it, so that the
   * volunteers do not move in waves.
   */
  thinkMs: number
  /** Hard bound on claim attempts per volunteer. */
  maxIterations: number
  /** Stop claiming after this many tasks (the serial phases); unbounded otherwise. */
  maxClaims?: number
  /** Called around each call (the Redis profile marks its command stream with them). */
  before?: (what: 'claim' | 'outcome', n: number) => Promise<void>
}

const MAX_FAILURES_IN_A_ROW = 5

/**
 * One volunteer: claim; on 200 record the task and answer `reached_safe`; stop after two 204s in
 * a row (a short pause between them), at the deadline, after MAX_FAILURES_IN_A_ROW failed calls
 * in a row, or after maxIterations claims.
 */
export async function volunteerLoop(v: Volunteer, o: LoopOptions): Promise<string> {
  const { api, tally: t } = o
  let empties = 0
  let failuresInRow = 0
  let claimed = 0
  for (let i = 0; i < o.maxIterations; i++) {
    if (o.stopped()) return 'interrupted'
    if (performance.now() >= o.deadline) return 'time limit'
    if (o.maxClaims !== undefined && claimed >= o.maxClaims) return 'enough claims'
    await o.before?.('claim', i)
    const claim = await api.call('POST', '/api/v1/tasks/claim', { token: v.token })
    if (claim.error === undefined && claim.status === 204) {
      t.emptyMs.push(claim.ms)
      if (++empties >= 2) return 'no work left (204 twice)'
      await sleep(o.emptyPauseMs)
      continue
    }
    if (claim.error !== undefined || claim.status !== 200) {
      t.fail('claim', claim)
      if (++failuresInRow >= MAX_FAILURES_IN_A_ROW) return 'failures'
      await sleep(100)
      continue
    }
    const task = (claim.body as { task?: { reference?: string; requester?: { language?: string } } } | null)?.task
    const reference = task?.reference
    if (!reference) {
      t.fail('claim', { status: 200, body: 'no task in a 200', ms: claim.ms })
      if (++failuresInRow >= MAX_FAILURES_IN_A_ROW) return 'failures'
      continue
    }
    if (empties > 0) t.prematureEmpties++
    empties = 0
    t.claimMs.push(claim.ms)
    const holder = t.holders.get(reference)
    if (!holder) {
      t.holders.set(reference, { volunteer: v.index, done: false })
      t.claims++
      claimed++
      const now = performance.now()
      t.lastClaimAt = now
      const second = Math.floor((now - t.startedAt) / 1000)
      t.perSecond[second] = (t.perSecond[second] ?? 0) + 1
    } else if (holder.volunteer === v.index && !holder.done) {
      t.reserved++
    } else {
      t.doubleClaims.push({ reference, first: holder.volunteer, second: v.index, firstDone: holder.done })
    }
    const language = task?.requester?.language ?? '?'
    if (!(v.languages as string[]).includes(language)) t.wrongLanguage.push({ reference, volunteer: v.index, language })
    await o.before?.('outcome', i)
    const outcome = await api.call('POST', `/api/v1/tasks/${reference}/outcome`, {
      token: v.token,
      json: { outcome: 'reached_safe' },
    })
    if (outcome.error !== undefined || outcome.status !== 200) {
      t.fail('outcome', outcome)
      if (++failuresInRow >= MAX_FAILURES_IN_A_ROW) return 'failures'
      await sleep(100)
      continue
    }
    failuresInRow = 0
    t.outcomeMs.push(outcome.ms)
    t.outcomes++
    const mine = t.holders.get(reference)
    if (mine && mine.volunteer === v.index) mine.done = true
    if (o.thinkMs > 0) await sleep(o.thinkMs * (0.5 + Math.random()))
  }
  return 'iteration bound'
}

/** Runs every volunteer's loop at once; returns when all have stopped. */
export async function runVolunteers(volunteers: Volunteer[], o: LoopOptions) {
  const reasons = await Promise.all(
    volunteers.map(async (v) => {
      if (o.thinkMs > 0) await sleep(o.thinkMs * Math.random())
      return volunteerLoop(v, o)
    }),
  )
  for (const r of reasons) o.tally.stopReasons[r] = (o.tally.stopReasons[r] ?? 0) + 1
}
