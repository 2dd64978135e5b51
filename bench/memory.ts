/**
 * Memory of the run's processes (Linux /proc; null elsewhere): the resident set of each Node
 * process and of Redis, and for PostgreSQL the proportional set (PSS) of the postmaster and all
 * its children summed, so that the shared buffers every backend maps count once, not per backend.
 */
import { readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

/** A `Name:   1234 kB` field of a /proc file, in MiB. */
function field(text: string | null, name: string): number | null {
  const kb = text && new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1]
  return kb ? Math.round((Number(kb) / 1024) * 10) / 10 : null
}

export const rssMiB = (pid: number) => field(read(`/proc/${pid}/status`), 'VmRSS')

/** The postmaster and its children, each with its /proc/<pid>/stat fields from the 3rd on. */
function cluster(postmaster: number): { pid: string; fields: string[] }[] {
  let pids: string[]
  try {
    pids = readdirSync('/proc').filter((e) => /^\d+$/.test(e))
  } catch {
    return []
  }
  const found: { pid: string; fields: string[] }[] = []
  for (const pid of pids) {
    const stat = read(`/proc/${pid}/stat`)
    const fields = stat ? stat.slice(stat.lastIndexOf(')') + 2).split(' ') : []
    if (Number(pid) === postmaster || Number(fields[1]) === postmaster) found.push({ pid, fields })
  }
  return found
}

/** The postmaster and its children: their count and summed PSS. */
export function postgresPss(postmaster: number): { processes: number; pssMiB: number } | null {
  const processes = cluster(postmaster)
  const pss = processes.reduce((sum, p) => sum + (field(read(`/proc/${p.pid}/smaps_rollup`), 'Pss') ?? 0), 0)
  return processes.length > 0 ? { processes: processes.length, pssMiB: Math.round(pss * 10) / 10 } : null
}

/**
 * CPU seconds of one PostgreSQL cluster: every live process's own time, plus the time of the
 * backends that already exited, which the postmaster collects when it reaps them (cutime, cstime).
 */
export function postgresCpuSeconds(postmaster: number): number {
  let ticks = 0
  for (const { pid, fields } of cluster(postmaster)) {
    // utime and stime are the 14th and 15th fields of stat, cutime and cstime the 16th and 17th.
    ticks += Number(fields[11]) + Number(fields[12])
    if (Number(pid) === postmaster) ticks += Number(fields[13]) + Number(fields[14])
  }
  return ticks / 100
}

export type MemorySample = {
  atS: number
  mib: Record<string, number | null>
  postgresProcesses: number | null
  /** The machine's 1-minute load average: other work on the same cores shows here. */
  load1: number
}

/** One sample: each named pid's RSS (postgres: PSS of its processes), and this process's. */
export function sampleMemory(pids: Record<string, number | undefined>, atS: number): MemorySample {
  const mib: Record<string, number | null> = {}
  let postgresProcesses: number | null = null
  for (const [name, pid] of Object.entries(pids)) {
    if (pid === undefined) mib[name] = null
    else if (name === 'postgres') {
      const pg = postgresPss(pid)
      mib[name] = pg?.pssMiB ?? null
      postgresProcesses = pg?.processes ?? null
    } else mib[name] = rssMiB(pid)
  }
  mib['load generator (this process, with the fake Twilio)'] = rssMiB(process.pid)
  return { atS, mib, postgresProcesses, load1: Math.round((os.loadavg()[0] ?? 0) * 100) / 100 }
}
