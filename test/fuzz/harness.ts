import fc from 'fast-check'
import type { Db } from '../../src/db/pool.js'

/** What came back for one input. */
export type Sent = { statusCode: number; body: string }

/** One public input: how to generate it and how to send it. */
export type Target<T> = {
  name: string
  arbitrary: fc.Arbitrary<T>
  send: (input: T) => Promise<Sent>
  /** Whether it may write requests, so that row counts are checked around each case. */
  writes?: boolean
  /** Cases in the suite's run (FUZZ_SCALE and the bench multiply it); 150 unless said. */
  runs?: number
}

/** Keeps the input's type between the arbitrary and `send`. */
export function target<T>(t: Target<T>): Target<unknown> {
  return t as Target<unknown>
}

type Counts = { requests: number; events: number; outbox: number; requesters: number }

async function counts(db: Db): Promise<Counts> {
  const { rows } = await db.query<Counts>(
    `SELECT (SELECT count(*) FROM requests)::int AS requests, (SELECT count(*) FROM request_events)::int AS events,
            (SELECT count(*) FROM outbox)::int AS outbox, (SELECT count(*) FROM request_requesters)::int AS requesters`,
  )
  return rows[0] as Counts
}

/**
 * Sends one input and says what is wrong with the answer: a 5xx, or rows that moved although
 * the input was refused, or a request written without its requester, first event or outbox row.
 */
export async function runCase<T>(db: Db, t: Target<T>, input: T): Promise<string[]> {
  const before = t.writes ? await counts(db) : null
  const res = await t.send(input)
  const problems: string[] = []
  if (res.statusCode >= 500) problems.push(`${t.name}: ${res.statusCode} ${res.body.slice(0, 300)}`)
  if (before) {
    const after = await counts(db)
    const moved = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k as keyof Counts]])) as Counts
    if (res.statusCode >= 400 && Object.values(moved).some((n) => n !== 0))
      problems.push(`${t.name}: refused with ${res.statusCode} yet rows moved ${JSON.stringify(moved)}`)
    if (
      moved.requests > 0 &&
      (moved.events < moved.requests || moved.outbox < moved.requests || moved.requesters < moved.requests)
    )
      problems.push(`${t.name}: a request written in part ${JSON.stringify(moved)}`)
  }
  return problems
}

/** Requests missing their requester, first event or enqueue row: none may exist, ever. */
export async function partialRequests(db: Db): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM requests r
     WHERE NOT EXISTS (SELECT 1 FROM request_requesters q WHERE q.request_id = r.id)
        OR NOT EXISTS (SELECT 1 FROM request_events e WHERE e.request_id = r.id AND e.type = 'received')
        OR NOT EXISTS (SELECT 1 FROM outbox o WHERE o.request_id = r.id AND o.topic = 'checkins.enqueue')`,
  )
  return rows[0]?.n ?? 0
}

// Written out again here rather than imported, so that the check does not trust the code it checks.
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u
const LETTER = /(?!\p{Default_Ignorable_Code_Point})\p{L}/u

/**
 * Stored names, cities, addresses and notes with a bidi control, or a name or city without a
 * letter. A name may be missing (an SMS request needs only a phone and a place); not empty.
 */
export async function badStoredText(db: Db): Promise<string[]> {
  const { rows } = await db.query<Record<string, string | null>>(
    `SELECT id::text, requester_name, relative_name, relative_city, relative_address, relative_notes FROM requests
     UNION ALL SELECT 'account ' || id, name, NULL, NULL, NULL, NULL FROM accounts`,
  )
  const bad: string[] = []
  for (const { id, ...text } of rows) {
    if (Object.values(text).some((v) => v !== null && BIDI.test(v))) bad.push(`${id}: a bidi control kept`)
    for (const field of ['requester_name', 'relative_name', 'relative_city'] as const) {
      const value = text[field]
      if (value !== null && value !== undefined && !LETTER.test(value)) bad.push(`${id}: no letter in ${field}`)
    }
  }
  return bad
}

/** Tally of a run. */
export type Tally = { cases: number; byStatus: Record<string, number>; byCode: Record<string, number>; problems: string[] }

/**
 * Runs `numRuns` generated inputs against a target. `stopAtFirst` (the suite) makes a problem
 * fail the property, so that fast-check shrinks it to the smallest input; otherwise (the bench
 * run) every case runs and problems are only counted.
 */
export async function fuzz<T>(
  db: Db,
  t: Target<T>,
  options: { numRuns: number; stopAtFirst: boolean; seed?: number },
): Promise<Tally> {
  const tally: Tally = { cases: 0, byStatus: {}, byCode: {}, problems: [] }
  const send = t.send
  const counted: Target<T> = {
    ...t,
    send: async (input) => {
      const res = await send(input)
      tally.cases++
      const bucket = `${Math.floor(res.statusCode / 100)}xx`
      tally.byStatus[bucket] = (tally.byStatus[bucket] ?? 0) + 1
      const code = `${res.statusCode} ${/"code":"(APP_ERR_\w+|FST_\w+)"/.exec(res.body)?.[1] ?? ''}`.trim()
      tally.byCode[code] = (tally.byCode[code] ?? 0) + 1
      return res
    },
  }
  const property = fc.asyncProperty(t.arbitrary, async (input) => {
    const problems = await runCase(db, counted, input)
    if (problems.length === 0) return
    if (options.stopAtFirst) throw new Error(problems.join('\n'))
    tally.problems.push(...problems)
  })
  await fc.assert(property, { numRuns: options.numRuns, seed: options.seed })
  return tally
}
