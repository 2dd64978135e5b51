/**
 * What every benchmark shares instead of copying it: integer settings from the environment, the
 * run's name (schema, BullMQ prefix, results file), SIGINT/SIGTERM handling, the compiled entry
 * points of the API and the worker, clean-up of a run's schema and Redis keys, and writing the
 * JSON summary to bench/results/.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Redis } from 'ioredis'
import type pg from 'pg'
import { PROJECT_ROOT } from '../src/paths.js'

/** An integer from the environment, within bounds; `fallback` when unset or empty. */
export function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer from ${min} to ${max}`)
  return n
}

/** `90`, `90s`, `10m`, `1h` → seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(s|m|h)?$/.exec(text.trim())
  if (!match) throw new Error(`not a duration: ${text} (use 600, 600s, 10m or 1h)`)
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[(match[2] ?? 's') as 's' | 'm' | 'h']
}

/** `--name value` or `--name=value` from the command line. */
export function flag(name: string): string | undefined {
  const args = process.argv.slice(2)
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (arg === `--${name}`) return args[i + 1]
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3)
  }
  return undefined
}

/** A run's names: a timestamp, a schema of its own and the BullMQ prefix built from it. */
export function runNames(kind: string) {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').toLowerCase()
  const schema = `bench_${stamp}_${randomBytes(2).toString('hex')}`
  return { kind, stamp, schema, bullPrefix: `{${schema}}` }
}

/** A compiled entry point, relative to dist/bench/ (benchmarks run from the build, as in production). */
export const dist = (path: string) => fileURLToPath(new URL(path, import.meta.url))
export const API_ENTRY = dist('../src/server.js')
export const WORKER_ENTRY = dist('../workers/main.js')

/**
 * SIGINT/SIGTERM: the first asks the run to stop (`onStop`, then `check()` throws), the second
 * exits at once (the processes module's exit hook still kills the children).
 */
export function interruptions(what: string, onStop: () => void = () => {}) {
  let signal: NodeJS.Signals | undefined
  for (const s of ['SIGINT', 'SIGTERM'] as const) {
    process.on(s, () => {
      if (signal) {
        console.error(`${s} again: exiting now; ${what} may be left behind`)
        process.exit(130)
      }
      signal = s
      console.error(`${s}: stopping the run, then cleaning up`)
      onStop()
    })
  }
  return {
    stopped: () => signal !== undefined,
    check() {
      if (signal) throw new Error(`interrupted by ${signal}`)
    },
  }
}

/** Drops the run's schema; false (and a line on stderr) when it could not. */
export async function dropSchema(db: pg.Pool, schema: string): Promise<boolean> {
  return db
    .query(`SET lock_timeout = '10s'; DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    .then(() => true)
    .catch((err: Error) => {
      console.error(`COULD NOT DROP SCHEMA ${schema}: ${err.message}`)
      return false
    })
}

/** Deletes every key matching the patterns (SCAN, bounded); returns how many. */
export async function deleteKeys(redis: Redis, patterns: string[]): Promise<number> {
  let deleted = 0
  for (const pattern of patterns) {
    let cursor = '0'
    for (let i = 0; i < 100_000; i++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
      if (keys.length > 0) deleted += await redis.unlink(...keys)
      cursor = next
      if (cursor === '0') break
    }
  }
  return deleted
}

/** Writes bench/results/<kind>-<stamp>.json; returns its path. */
export async function writeResults(kind: string, stamp: string, summary: unknown): Promise<string> {
  const dir = join(PROJECT_ROOT, 'bench', 'results')
  await mkdir(dir, { recursive: true })
  const file = join(dir, `${kind}-${stamp}.json`)
  await writeFile(file, `${JSON.stringify(summary, null, 2)}\n`)
  return file
}

/** `main` as a process: its number is the exit code; a throw prints one line and exits 1. */
export function runMain(name: string, main: () => Promise<number>) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`${name} failed: ${err instanceof Error ? err.message : err}`)
      process.exit(1)
    },
  )
}
