/**
 * Where the machine's cores go during a run, from /proc (Linux only; null elsewhere): each child
 * by pid, every `postgres` and `redis-server` process on the machine by name, and the load
 * generator (this process). Reported in cores: 1.0 is one core busy for the whole run.
 */
import { readdirSync, readFileSync } from 'node:fs'

/** USER_HZ: /proc counts CPU time in 1/100 s on Linux. */
const TICK_S = 0.01

type Snapshot = { at: number; seconds: Record<string, number> }

function stat(pid: string): { comm: string; seconds: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const close = text.lastIndexOf(')')
    const fields = text.slice(close + 2).split(' ')
    // Fields from the 3rd on: utime is the 14th, stime the 15th.
    return { comm: text.slice(text.indexOf('(') + 1, close), seconds: (Number(fields[11]) + Number(fields[12])) * TICK_S }
  } catch {
    return null
  }
}

/** CPU seconds used so far by each named pid, by all postgres and redis processes, and by us. */
export function cpuSnapshot(pids: Record<string, number | undefined>): Snapshot | null {
  let entries: string[]
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e))
  } catch {
    return null
  }
  const seconds: Record<string, number> = { postgres: 0, redis: 0 }
  for (const pid of entries) {
    const s = stat(pid)
    if (s?.comm === 'postgres') seconds.postgres = (seconds.postgres ?? 0) + s.seconds
    else if (s?.comm === 'redis-server') seconds.redis = (seconds.redis ?? 0) + s.seconds
  }
  for (const [name, pid] of Object.entries(pids)) {
    const s = pid === undefined ? null : stat(String(pid))
    if (s) seconds[name] = s.seconds
  }
  const own = process.cpuUsage()
  seconds.loadgen = (own.user + own.system) / 1e6
  return { at: performance.now(), seconds }
}

/** Cores used by each between two snapshots (CPU seconds ÷ wall seconds). */
export function coresUsed(before: Snapshot | null, after: Snapshot | null): Record<string, number> | null {
  if (!before || !after) return null
  const wall = (after.at - before.at) / 1000
  if (wall <= 0) return null
  const cores: Record<string, number> = {}
  for (const [name, end] of Object.entries(after.seconds)) {
    const start = before.seconds[name]
    // A process that exited meanwhile takes its time with it: never below 0.
    if (start !== undefined) cores[name] = Math.max(0, Math.round(((end - start) / wall) * 100) / 100)
  }
  return cores
}
