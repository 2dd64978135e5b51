import fc from 'fast-check'
import t from 'tap'
import { backlogHistory } from '../../src/db/backlog-repository.js'
import type { RequestState } from '../../src/domain/request-states.js'
import { type Story, seedStories, stateAt } from '../backlog-seed.js'
import { build } from '../helper.js'

const { app } = await build(t)
const OPTIONS = { hours: 12, bucketMinutes: 30 }
const DONE = new Set(['reached_safe', 'reached_needs_help', 'wrong_number', 'unreachable'])
const band = (priority: number) => (priority <= 3 ? 'high' : priority < 10 ? 'raised' : 'normal')

/** The chart's numbers computed the slow, obvious way: every story's state at every bucket's end. */
function expected(stories: Story[], points: { at: Date }[], now: Date) {
  const step = OPTIONS.bucketMinutes * 60_000
  return points.map(({ at }) => {
    const instant = at > now ? now : at
    const row = { waiting: { high: 0, raised: 0, normal: 0 }, inCalls: 0, done: 0 }
    for (const story of stories) {
      const state = stateAt(story, instant, now)
      if (state === 'received' || state === 'queued') row.waiting[band(story.priority)]++
      if (state === 'claimed') row.inCalls++
      const last = story.steps?.at(-1)
      if (last && DONE.has(last[0])) {
        const doneAt = now.getTime() - (story.startedMinutesAgo - last[1]) * 60_000
        if (doneAt <= at.getTime() && doneAt > at.getTime() - step) row.done++
      }
    }
    return row
  })
}

const story: fc.Arbitrary<Story> = fc
  .record({
    startedMinutesAgo: fc.integer({ min: 2, max: 16 * 60 }),
    priority: fc.constantFrom(1, 2, 4, 8, 10),
    queuedAfter: fc.integer({ min: 0, max: 30 }),
    claimedAfter: fc.option(fc.integer({ min: 1, max: 300 })),
    end: fc.option(
      fc.tuple(fc.constantFrom<RequestState>('reached_safe', 'unreachable', 'cancelled'), fc.integer({ min: 1, max: 60 })),
    ),
  })
  .map(({ startedMinutesAgo, priority, queuedAfter, claimedAfter, end }) => {
    // Every step stays at least a minute in the past, so "now" in the query and here agree.
    const steps: [RequestState, number][] = []
    const add = (state: RequestState, minutes: number) => {
      if (minutes <= startedMinutesAgo - 1) steps.push([state, minutes])
    }
    add('queued', queuedAfter)
    if (claimedAfter !== null) add('claimed', queuedAfter + claimedAfter)
    if (claimedAfter !== null && end && steps.at(-1)?.[0] === 'claimed') add(end[0], queuedAfter + claimedAfter + end[1])
    return { startedMinutesAgo, priority, steps }
  })

t.test('the history rebuilt from events agrees with each request’s state at every bucket end', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(story, { maxLength: 25 }), async (stories) => {
      // The history is append-only row by row; a test starts each case afresh with TRUNCATE.
      await app.db.query('TRUNCATE requests, request_events CASCADE')
      const now = new Date()
      await seedStories(app.db, stories, now)
      const points = await backlogHistory(app.db, OPTIONS)
      t.equal(points.length, 24)
      t.same(
        points.map(({ waiting, inCalls, done }) => ({ waiting, inCalls, done })),
        expected(stories, points, now),
      )
    }),
    { numRuns: 15 },
  )
})

t.test('buckets end on the half hour, the last one at or after now', async (t) => {
  const points = await backlogHistory(app.db, OPTIONS)
  const [first, last] = [points[0]?.at ?? new Date(0), points.at(-1)?.at ?? new Date(0)]
  t.ok(last.getTime() >= Date.now() - 1000 && last.getTime() - Date.now() <= 30 * 60_000)
  t.equal(last.getUTCMinutes() % 30, 0)
  t.equal(last.getTime() - first.getTime(), 23 * 30 * 60_000)
})
