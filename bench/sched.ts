/**
 * How long processes waited for a core (Linux only; null elsewhere): the run-queue delay the
 * scheduler records per thread in /proc/<pid>/task/<tid>/schedstat, summed per named child (all
 * its threads), over every `postgres` and `redis-server` process by name, and for this process;
 * plus the machine's CPU pressure (/proc/pressure/cpu, "some": the share of time at least one
 * runnable task waited). Reported in threads: 0.5 means that on average half a thread of that
 * process was ready to run but had no core.
 */
import { readdirSync, readFileSync } from 'node:fs'

type Snapshot = { at: number; waitS: Record<string, number>; pressureUs: number | null }

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

/** Run-queue delay in seconds of every thread of a pid (the second field of schedstat, in ns). */
function delayOf(pid: string): number {
  let tids: string[]
  try {
    tids = readdirSync(`/proc/${pid}/task`)
  } catch {
    return 0
  }
  let ns = 0
  for (const tid of tids) {
    const fields = read(`/proc/${pid}/task/${tid}/schedstat`)?.split(' ')
    if (fields?.[1]) ns += Number(fields[1])
  }
  return ns / 1e9
}

function comm(pid: string): string | null {
  return read(`/proc/${pid}/comm`)?.trim() ?? null
}

export function schedSnapshot(pids: Record<string, number | undefined>): Snapshot | null {
  let entries: string[]
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e))
  } catch {
    return null
  }
  if (read('/proc/self/schedstat') === null) return null
  const waitS: Record<string, number> = { postgres: 0, redis: 0 }
  for (const pid of entries) {
    const name = comm(pid)
    if (name === 'postgres') waitS.postgres = (waitS.postgres ?? 0) + delayOf(pid)
    else if (name === 'redis-server') waitS.redis = (waitS.redis ?? 0) + delayOf(pid)
  }
  for (const [name, pid] of Object.entries(pids)) if (pid !== undefined) waitS[name] = delayOf(String(pid))
  waitS.loadgen = delayOf(String(process.pid))
  const some = /some .*total=(\d+)/.exec(read('/proc/pressure/cpu') ?? '')
  return { at: performance.now(), waitS, pressureUs: some ? Number(some[1]) : null }
}

/** Threads waiting for a core, on average, per process between two snapshots; and the CPU pressure. */
export function waitsForCpu(before: Snapshot | null, after: Snapshot | null) {
  if (!before || !after) return null
  const wall = (after.at - before.at) / 1000
  if (wall <= 0) return null
  const threadsWaiting: Record<string, number> = {}
  for (const [name, end] of Object.entries(after.waitS)) {
    const start = before.waitS[name]
    if (start !== undefined) threadsWaiting[name] = Math.max(0, Math.round(((end - start) / wall) * 100) / 100)
  }
  const pressure =
    before.pressureUs !== null && after.pressureUs !== null
      ? Math.round(((after.pressureUs - before.pressureUs) / 1e6 / wall) * 1000) / 10
      : null
  return { threadsWaiting, cpuPressureSomePct: pressure }
}
