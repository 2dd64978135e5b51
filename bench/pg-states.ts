/**
 * How a process's PostgreSQL pool is used: pg_stat_activity sampled every 100 ms, counting the
 * connections of one application_name by state (`active`, `idle in transaction`, `idle`). A pool
 * whose connections are all active or idle in transaction is the bottleneck; idle ones mean
 * the requests wait elsewhere. (pg-waits.ts breaks the active ones down by wait event.)
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type pg from 'pg'

export type States = { samples: number; meanByState: Record<string, number>; maxBusy: number }

export function sampleStates(db: pg.Pool, applicationName: string, maxSeconds: number) {
  const counts: Record<string, number> = {}
  let samples = 0
  let maxBusy = 0
  let stopped = false
  const loop = (async () => {
    for (let i = 0; i < maxSeconds * 10 && !stopped; i++) {
      try {
        const { rows } = await db.query<{ s: string; n: number }>(
          `SELECT coalesce(state, 'unknown') AS s, count(*)::int AS n
           FROM pg_stat_activity WHERE application_name = $1 GROUP BY 1`,
          [applicationName],
        )
        samples++
        let busy = 0
        for (const r of rows) {
          counts[r.s] = (counts[r.s] ?? 0) + r.n
          if (r.s !== 'idle') busy += r.n
        }
        maxBusy = Math.max(maxBusy, busy)
      } catch {
        // A missed sample is not worth failing the run for.
      }
      await sleep(100)
    }
  })()
  return async function stop(): Promise<States> {
    stopped = true
    await loop
    const meanByState = Object.fromEntries(
      Object.entries(counts)
        .sort((a, b) => b[1] - a[1])
        .map(([s, n]) => [s, Math.round((n / Math.max(1, samples)) * 10) / 10]),
    )
    return { samples, meanByState, maxBusy }
  }
}
