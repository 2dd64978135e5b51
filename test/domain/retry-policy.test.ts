import t from 'tap'
import { nextAttemptAt, retryDelayMinutes } from '../../src/domain/retry-policy.js'

t.test('the delay after each unanswered call: its own entry, the last one beyond', async (t) => {
  const delays = [20, 60, 180]
  for (const [attempts, minutes] of [
    [1, 20],
    [2, 60],
    [3, 180],
    [7, 180],
    [0, 20],
  ] as const) {
    t.equal(retryDelayMinutes(delays, attempts), minutes, `after attempt ${attempts}`)
  }
  t.equal(retryDelayMinutes([5], 3), 5)
})

t.test('due again at the outcome time plus the delay', async (t) => {
  const at = new Date('2026-01-05T10:00:00Z')
  t.equal(nextAttemptAt(at, [20, 60], 2).toISOString(), '2026-01-05T11:00:00.000Z')
})
