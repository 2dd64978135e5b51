import { randomBytes } from 'node:crypto'
import type { Db } from '../src/db/pool.js'
import type { Language, RequestState } from '../src/domain/request-states.js'

/**
 * A request's past, for tests of the backlog's history: when it arrived (minutes before `now`),
 * its priority, and each later state with the minutes after arrival it was reached.
 */
export type Story = {
  startedMinutesAgo: number
  priority: number
  language?: Language
  city?: string
  steps?: [RequestState, number][]
}

const ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ'
const reference = () => Array.from(randomBytes(8), (b) => ALPHABET[b % ALPHABET.length]).join('')
const CLOSED = new Set(['reached_safe', 'reached_needs_help', 'wrong_number', 'unreachable', 'cancelled', 'duplicate'])
/** The event that moves a request into a state, as the service writes it. */
const eventType = (state: RequestState) =>
  state === 'duplicate' ? 'merged' : state === 'cancelled' || !CLOSED.has(state) ? state : 'outcome'

/**
 * Writes stories straight into PostgreSQL, backdated, in the order they happened (the history is
 * append-only: an event can be written with a past time, never changed). No personal data: the
 * chart and the counts need none.
 */
export async function seedStories(db: Db, stories: Story[], now = new Date()): Promise<void> {
  for (const story of stories) {
    const at = (minutes: number) => new Date(now.getTime() - (story.startedMinutesAgo - minutes) * 60_000)
    const steps: [RequestState, number][] = [['received', 0], ...(story.steps ?? [])]
    const [last, lastMinutes] = steps.at(-1) as [RequestState, number]
    const { rows } = await db.query(
      `INSERT INTO requests (reference, status, requester_language, notify_via, city_key, priority, created_at, updated_at, closed_at)
       VALUES ($1, $2, $3, 'sms', $4, $5, $6, $7, $8) RETURNING id`,
      [
        reference(),
        last,
        story.language ?? 'ru',
        story.city ?? 'almaty',
        story.priority,
        at(0),
        at(lastMinutes),
        CLOSED.has(last) ? at(lastMinutes) : null,
      ],
    )
    let from: RequestState | null = null
    for (const [state, minutes] of steps) {
      await db.query(
        `INSERT INTO request_events (request_id, type, from_status, to_status, actor_type, created_at)
         VALUES ($1, $2, $3, $4, 'system', $5)`,
        [rows[0].id, eventType(state), from, state, at(minutes)],
      )
      from = state
    }
  }
}

/** The state a story is in at `instant` (undefined before it arrived). */
export function stateAt(story: Story, instant: Date, now: Date): RequestState | undefined {
  let state: RequestState | undefined
  for (const [s, minutes] of [['received', 0] as [RequestState, number], ...(story.steps ?? [])]) {
    if (now.getTime() - (story.startedMinutesAgo - minutes) * 60_000 <= instant.getTime()) state = s
  }
  return state
}
