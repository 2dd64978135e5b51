import type { Logger } from 'pino'

/** The longest pause between two failed passes, ms. */
const MAX_BACKOFF_MS = 5000

/**
 * Runs `runOnce` for as long as the process lives: the next pass `everyMs` after one that
 * succeeded, or after a growing back-off (100 ms doubling, at most 5 s) after one that failed —
 * PostgreSQL or Redis away. Chained timers, never two passes at once; `stop` waits for the pass
 * in flight. The relays of the outbox and of partner deliveries both run on it.
 */
export function pollLoop(options: { name: string; everyMs: number; log: Logger; runOnce: () => Promise<number> }) {
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let stopped = false
  let failures = 0

  function tick() {
    if (stopped) return
    running = options
      .runOnce()
      .then((done) => {
        if (failures > 0) options.log.info({ done }, `${options.name} recovered`)
        failures = 0
        return options.everyMs
      })
      .catch((err: Error) => {
        failures++
        options.log.warn({ err, failures }, `${options.name} failed; retrying`)
        return Math.min(MAX_BACKOFF_MS, 100 * 2 ** failures)
      })
      .then((delayMs) => {
        running = undefined
        if (!stopped) timer = setTimeout(tick, delayMs)
      })
  }

  return {
    start() {
      tick()
    },
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}
