/**
 * Minutes before a request whose call went unanswered (no_answer, busy) returns to the queue,
 * after its `attempts`-th call: that attempt's entry of RETRY_DELAYS_MINUTES, the last entry
 * beyond them. One rule for the outcome that delays the job and for the reconciler that
 * re-creates a delayed job Redis forgot.
 */
export function retryDelayMinutes(delays: readonly number[], attempts: number): number {
  return delays[Math.min(attempts, delays.length) - 1] ?? 20
}

/** When the request is due again: the unanswered call's outcome time plus its delay. */
export function nextAttemptAt(outcomeAt: Date, delays: readonly number[], attempts: number): Date {
  return new Date(outcomeAt.getTime() + retryDelayMinutes(delays, attempts) * 60_000)
}
