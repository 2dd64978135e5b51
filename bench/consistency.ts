/**
 * What the fault run and the soak check, PostgreSQL (the truth) against Redis and the fake
 * Twilio: every acknowledged reference is a row; every open request is queued with a job or
 * claimed; no request has two live jobs; no request was worked by two volunteers at once (the
 * attempts' intervals); every notification row went to Twilio exactly once.
 */
import type { Redis } from 'ioredis'
import type pg from 'pg'
import { param } from '../dev/fake-twilio/resources.js'
import type { FakeTwilio } from '../dev/fake-twilio/server.js'
import { LANGUAGES } from '../src/domain/request-states.js'
import { checkinsQueueName } from '../src/queues/checkins.js'

// Where BullMQ 6 keeps a queue's jobs that are not finished (lists, then sorted sets).
const LISTS = ['wait', 'paused', 'active'] as const
const ZSETS = ['prioritized', 'delayed', 'waiting-children'] as const

/** Live jobs of the volunteer queues per request id (from each job's data), and ids with no job hash. */
export async function liveCheckinJobs(redis: Redis, prefix: string) {
  const perRequest = new Map<string, number>()
  let dangling = 0
  for (const language of LANGUAGES) {
    const base = `${prefix}:${checkinsQueueName(language)}`
    const p = redis.pipeline()
    for (const list of LISTS) p.lrange(`${base}:${list}`, 0, -1)
    for (const zset of ZSETS) p.zrange(`${base}:${zset}`, '0', '-1')
    const results = (await p.exec()) ?? []
    const failed = results.find(([err]) => err)
    if (failed) throw failed[0]
    const ids = [...new Set(results.flatMap(([, ids]) => ids as string[]))]
    const data = redis.pipeline()
    for (const id of ids) data.hget(`${base}:${id}`, 'data')
    for (const [err, raw] of (await data.exec()) ?? []) {
      if (err) throw err
      const requestId = raw ? (JSON.parse(raw as string) as { requestId?: unknown }).requestId : undefined
      if (requestId === undefined) dangling++
      else perRequest.set(String(requestId), (perRequest.get(String(requestId)) ?? 0) + 1)
    }
  }
  return { perRequest, dangling }
}

export type Snapshot = {
  at: number
  open: number
  /** Open requests (received/queued, unchanged for longer than the grace) with no live job. */
  stranded: string[]
  /** Requests with more than one live job. */
  duplicates: string[]
  /** Live jobs whose request is closed or absent (the reconciler's to remove; harmless at a claim). */
  /** Claimed requests whose job is gone: they come back only when the lease runs out. */
  claimedWithoutJob: number
  orphanJobs: number
  danglingJobIds: number
  claimedPastLease: number
  outboxOverdue: number
  notificationsBehind: number
}

/**
 * One look at the whole system. Redis is read first: a job is only ever removed after PostgreSQL
 * closed its request, so a request still open in the later read with no job in the earlier one
 * has truly none (the grace covers the relay's few hundred ms between commit and job).
 */
export async function snapshot(db: pg.Pool, redis: Redis, o: { prefix: string; graceS: number }): Promise<Snapshot> {
  const jobs = await liveCheckinJobs(redis, o.prefix)
  const { rows } = await db.query<{ id: string; status: string; age: number; leaseAge: number | null }>(
    `SELECT r.id::text, r.status, extract(epoch FROM now() - r.updated_at)::float8 AS age,
            extract(epoch FROM now() - l.expires_at)::float8 AS "leaseAge"
     FROM requests r LEFT JOIN leases l ON l.request_id = r.id WHERE r.status IN ('received', 'queued', 'claimed')`,
  )
  const [late] = (
    await db.query<{ outbox: number; notifications: number }>(
      `SELECT (SELECT count(*) FROM outbox WHERE sent_at IS NULL AND available_at < now() - make_interval(secs => $1))::int AS outbox,
              (SELECT count(*) FROM notifications WHERE status IN ('pending', 'sending')
                 AND created_at < now() - make_interval(secs => $1))::int AS notifications`,
      [o.graceS],
    )
  ).rows
  const open = new Set(rows.map((r) => r.id))
  return {
    at: Date.now(),
    open: rows.length,
    stranded: rows.filter((r) => r.status !== 'claimed' && r.age > o.graceS && !jobs.perRequest.has(r.id)).map((r) => r.id),
    duplicates: [...jobs.perRequest].filter(([, n]) => n > 1).map(([id]) => id),
    claimedWithoutJob: rows.filter((r) => r.status === 'claimed' && r.age > o.graceS && !jobs.perRequest.has(r.id)).length,
    orphanJobs: [...jobs.perRequest.keys()].filter((id) => !open.has(id)).length,
    danglingJobIds: jobs.dangling,
    claimedPastLease: rows.filter((r) => r.status === 'claimed' && (r.leaseAge ?? 0) > o.graceS).length,
    outboxOverdue: late?.outbox ?? 0,
    notificationsBehind: late?.notifications ?? 0,
  }
}

/** A snapshot whose stranded and duplicate sets are confirmed by a second look 2 s later. */
export async function confirmedSnapshot(db: pg.Pool, redis: Redis, o: { prefix: string; graceS: number }) {
  const first = await snapshot(db, redis, o)
  if (first.stranded.length === 0 && first.duplicates.length === 0) return first
  await new Promise((resolve) => setTimeout(resolve, 2000))
  const second = await snapshot(db, redis, o)
  const both = (a: string[], b: string[]) => a.filter((id) => b.includes(id))
  return { ...second, stranded: both(first.stranded, second.stranded), duplicates: both(first.duplicates, second.duplicates) }
}

/** Acknowledged references with no row in PostgreSQL. */
export async function missingReferences(db: pg.Pool, references: string[]): Promise<string[]> {
  const found = new Set<string>()
  for (let i = 0; i < references.length; i += 5000) {
    const { rows } = await db.query<{ reference: string }>('SELECT reference FROM requests WHERE reference = ANY($1::text[])', [
      references.slice(i, i + 5000),
    ])
    for (const r of rows) found.add(r.reference)
  }
  return references.filter((r) => !found.has(r))
}

/** Requests whose attempts by two different volunteers overlap in time (both open at once). */
export async function overlappingAttempts(db: pg.Pool): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(DISTINCT a.request_id)::int AS n FROM attempts a
     JOIN attempts b ON b.request_id = a.request_id AND b.id > a.id AND b.account_id <> a.account_id
     WHERE b.started_at < coalesce(a.finished_at, 'infinity') AND a.started_at < coalesce(b.finished_at, 'infinity')`,
  )
  return rows[0]?.n ?? 0
}

export type NotificationTally = {
  rows: number
  sent: number
  lost: number
  doubled: number
  lostByStatus: Record<string, number>
}

/**
 * Each notification row against what the fake Twilio received (a message or call names its row
 * in its StatusCallback URL), counted per time window of the rows' creation. Lost: never sent and
 * not suppressed (STOP, no phone); doubled: sent more than once. Also sends naming no row.
 */
export async function notificationTallies(db: pg.Pool, fake: FakeTwilio, windows: { from: number; to: number }[]) {
  const sends = new Map<string, number>()
  for (const r of [...fake.messages, ...fake.calls]) {
    const id = /[?&]notification=(\d+)/.exec(param(r.params, 'StatusCallback') ?? '')?.[1] ?? 'none'
    sends.set(id, (sends.get(id) ?? 0) + 1)
  }
  const { rows } = await db.query<{ id: string; status: string; createdAt: Date }>(
    `SELECT id::text, status, created_at AS "createdAt" FROM notifications`,
  )
  const known = new Set(rows.map((r) => r.id))
  const tallies = windows.map((): NotificationTally => ({ rows: 0, sent: 0, lost: 0, doubled: 0, lostByStatus: {} }))
  for (const row of rows) {
    const t = tallies[windows.findIndex((w) => row.createdAt.getTime() >= w.from && row.createdAt.getTime() < w.to)]
    if (!t) continue
    const n = sends.get(row.id) ?? 0
    t.rows++
    if (n > 0) t.sent++
    if (n > 1) t.doubled++
    if (n === 0 && row.status !== 'suppressed') {
      t.lost++
      t.lostByStatus[row.status] = (t.lostByStatus[row.status] ?? 0) + 1
    }
  }
  const unknownSends = [...sends].filter(([id]) => !known.has(id)).reduce((n, [, c]) => n + c, 0)
  return { tallies, unknownSends, rows: rows.length }
}

/**
 * After the traffic stopped: waits (bounded) until nothing is stranded, no outbox row is due and
 * no notification is waiting; seconds since `since`, or null when the bound passed first.
 */
export async function waitForDrain(db: pg.Pool, redis: Redis, o: { prefix: string; since: number; timeoutMs: number }) {
  for (const start = Date.now(); Date.now() - start < o.timeoutMs; await new Promise((r) => setTimeout(r, 1000))) {
    const snap = await snapshot(db, redis, { prefix: o.prefix, graceS: 0 }).catch(() => null)
    if (snap && snap.stranded.length === 0 && snap.outboxOverdue === 0 && snap.notificationsBehind === 0)
      return (Date.now() - o.since) / 1000
  }
  return null
}

/**
 * Why notifications were never sent, from their notify jobs: no job at all (Redis forgot it and
 * nothing put it back), a job that failed for good (with its scrubbed reason), one completed
 * without a send, or one still waiting, delayed for a retry, or active.
 */
export async function unsentReasons(db: pg.Pool, redis: Redis, fake: FakeTwilio, prefix: string) {
  const sent = new Set(
    [...fake.messages, ...fake.calls].map((r) => /[?&]notification=(\d+)/.exec(param(r.params, 'StatusCallback') ?? '')?.[1]),
  )
  const { rows } = await db.query<{ id: string; status: string }>(
    `SELECT id::text, status FROM notifications WHERE status <> 'suppressed'`,
  )
  const unsent = rows.filter((r) => !sent.has(r.id)).slice(0, 5000)
  const p = redis.pipeline()
  for (const r of unsent) p.hmget(`${prefix}:notify:notification-${r.id}`, 'finishedOn', 'failedReason', 'delay', 'processedOn')
  const reasons: Record<string, number> = {}
  for (const [i, [err, fields]] of ((await p.exec()) ?? []).entries()) {
    const values = (fields as (string | null)[] | null) ?? []
    const [finishedOn, failedReason, delay, processedOn] = values
    const job = err
      ? 'Redis error'
      : values.every((f) => f === null)
        ? 'no job'
        : failedReason && finishedOn
          ? `job failed: ${failedReason.slice(0, 80)}`
          : finishedOn
            ? 'job completed'
            : processedOn || Number(delay) > 0
              ? 'job retrying or active'
              : 'job waiting'
    const key = `row ${unsent[i]?.status}, ${job}`
    reasons[key] = (reasons[key] ?? 0) + 1
  }
  return reasons
}
