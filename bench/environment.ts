/**
 * What the intake benchmark needs to know about and do to its surroundings: this machine, the
 * code's git state, the database's counts, and the Redis keys to remove afterwards.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import os from 'node:os'
import type { Redis } from 'ioredis'
import type pg from 'pg'
import { PROJECT_ROOT } from '../src/paths.js'
import { round } from './report.js'

/** The benchmark talks to nothing but this machine. */
export function assertLoopback(name: string, url: string) {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '')
  if (!(host === '' || host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host))) {
    throw new Error(`${name} must point at this machine (127.0.0.1, localhost or ::1), not ${host}`)
  }
}

export type Counts = { unsent: number; due: number; outbox: number; requests: number; queued: number }

/** Outbox rows unsent (and of those, due now rather than put aside after a failure), requests. */
export async function counts(db: pg.Pool): Promise<Counts> {
  const { rows } = await db.query<Counts>(
    `SELECT (SELECT count(*) FROM outbox WHERE sent_at IS NULL)::int AS unsent,
            (SELECT count(*) FROM outbox WHERE sent_at IS NULL AND available_at <= now())::int AS due,
            (SELECT count(*) FROM outbox)::int AS outbox,
            (SELECT count(*) FROM requests)::int AS requests,
            (SELECT count(*) FROM requests WHERE status = 'queued')::int AS queued`,
  )
  return rows[0] as Counts
}

/** Unsent outbox rows by topic, with the last error the relay recorded for them. */
export async function unsentByTopic(db: pg.Pool) {
  const { rows } = await db.query<{ topic: string; unsent: number; lastError: string | null }>(
    `SELECT topic, count(*)::int AS unsent, max(last_error) AS "lastError"
     FROM outbox WHERE sent_at IS NULL GROUP BY topic ORDER BY topic`,
  )
  return rows
}

/** The commit measured, and the files that differed from it (other work in progress). */
export function gitState() {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 5000 }).replace(/\n$/, '')
    } catch {
      return ''
    }
  }
  // Porcelain lines are `XY path`; X may be a space, so no trimming before the slice.
  const dirty = git('status', '--porcelain', '--', 'src', 'workers', 'migrations')
    .split('\n')
    .filter((l) => l.length > 3)
  return { commit: git('rev-parse', '--short', 'HEAD'), uncommitted: dirty.map((l) => l.slice(3)) }
}

export async function machine(db: pg.Pool, redis: Redis) {
  const pgSettings = await db.query<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_settings
     WHERE name IN ('server_version', 'max_connections', 'shared_buffers', 'synchronous_commit', 'fsync')`,
  )
  const info = await redis.info('server')
  return {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    postgres: Object.fromEntries(pgSettings.rows.map((r) => [r.name, r.setting])),
    redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
  }
}

/** Deletes the run's Redis keys: its BullMQ prefix, its rate-limit keys, its phones' counters. */
export async function deleteRedisKeys(redis: Redis, bullPrefix: string, requesterPhones: string[]) {
  const bare = bullPrefix.replace(/[{}]/g, '')
  let deleted = 0
  for (const pattern of [`${bullPrefix}*`, `${bare}:*`, 'bailanys:ratelimit:*127.0.0.1']) {
    let cursor = '0'
    for (let i = 0; i < 100_000; i++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
      if (keys.length > 0) deleted += await redis.unlink(...keys)
      cursor = next
      if (cursor === '0') break
    }
  }
  // Per-phone counters under the fixed `bailanys:` prefix (before keys took the run's prefix).
  const hashed = requesterPhones.map(
    (p) => `bailanys:limit:phone:${createHash('sha256').update(p).digest('base64url').slice(0, 22)}`,
  )
  for (let i = 0; i < hashed.length; i += 1000) deleted += await redis.unlink(...hashed.slice(i, i + 1000))
  return deleted
}
