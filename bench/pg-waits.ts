/**
 * What the benchmark's PostgreSQL connections are doing during a run: pg_stat_activity sampled
 * every 100 ms, counting the active backends of one application_name (the children set
 * PGAPPNAME) by wait event. "CPU" is an active backend with no wait event.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type pg from 'pg'

/** Mean number of active backends in each wait event over the samples taken. */
export type Waits = { samples: number; meanActive: Record<string, number> }

export function sampleWaits(db: pg.Pool, applicationName: string, maxSeconds: number) {
  const counts: Record<string, number> = {}
  let samples = 0
  let stopped = false
  const loop = (async () => {
    // Bounded by maxSeconds even if nobody calls stop.
    for (let i = 0; i < maxSeconds * 10 && !stopped; i++) {
      try {
        const { rows } = await db.query<{ w: string; n: number }>(
          `SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS w, count(*)::int AS n
           FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' GROUP BY 1`,
          [applicationName],
        )
        samples++
        for (const r of rows) counts[r.w] = (counts[r.w] ?? 0) + r.n
      } catch {
        // A missed sample is not worth failing the run for.
      }
      await sleep(100)
    }
  })()
  return async function stop(): Promise<Waits> {
    stopped = true
    await loop
    const meanActive = Object.fromEntries(
      Object.entries(counts)
        .sort((a, b) => b[1] - a[1])
        .map(([w, n]) => [w, Math.round((n / Math.max(1, samples)) * 10) / 10]),
    )
    return { samples, meanActive }
  }
}
