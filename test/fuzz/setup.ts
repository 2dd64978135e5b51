import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { coordinator, PASSWORD, volunteer } from '../accounts-helper.js'
import { build } from '../helper.js'
import { badStoredText, fuzz, partialRequests, type Target } from './harness.js'
import { type Seeded, seed } from './seed.js'

export type Session = {
  headers: Record<string, string>
  cookies: Record<string, string>
  volunteer: Record<string, string>
  volunteerId: string
}

/** A coordinator (bearer headers and the session cookie), an approved volunteer, seeded rows. */
export async function prepare(app: FastifyInstance): Promise<{ session: Session; seeded: Seeded }> {
  const boss = await coordinator(app)
  const login = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { login: boss.phone, password: PASSWORD },
  })
  const cookies = Object.fromEntries(login.cookies.map((c) => [c.name, c.value]))
  const vera = await volunteer(app, boss)
  const seeded = await seed(app, boss.id)
  seeded.phones.push(boss.phone)
  return { session: { headers: boss.headers, cookies, volunteer: vera.headers, volunteerId: vera.id }, seeded }
}

/** The app for one fuzz file, prepared, with a record of unhandled rejections. */
export async function fuzzSetup(t: Test) {
  const rejections: unknown[] = []
  const onRejection = (reason: unknown) => rejections.push(reason)
  process.on('unhandledRejection', onRejection)
  t.teardown(() => {
    process.off('unhandledRejection', onRejection)
  })
  const { app, config } = await build(t)
  return { app, config, rejections, ...(await prepare(app)) }
}

/** How many cases a target runs: its own number times FUZZ_SCALE (1 unless set). */
export function runs(base = 150): number {
  const scale = Number(process.env.FUZZ_SCALE ?? 1)
  return Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)))
}

/**
 * One subtest per target (a failure is shrunk to its smallest input and printed with its seed;
 * FUZZ_SEED replays it), then the checks over everything written: no request in part, no
 * bidi control or letterless name stored, no unhandled rejection.
 */
export function fuzzSuite(t: Test, app: FastifyInstance, targets: Target<unknown>[], rejections: unknown[]) {
  const seedFromEnv = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined
  for (const target of targets) {
    t.test(target.name, async (t) => {
      const tally = await fuzz(app.db, target, { numRuns: runs(target.runs), stopAtFirst: true, seed: seedFromEnv })
      t.same(tally.problems, [], `${tally.cases} cases: ${JSON.stringify(tally.byCode)}`)
      t.notOk(tally.byStatus['5xx'], 'no 5xx')
    })
  }
  t.test('no request written in part, no invisible text stored, no unhandled rejection', async (t) => {
    t.equal(await partialRequests(app.db), 0, 'every request has its requester, first event and outbox row')
    t.same(await badStoredText(app.db), [], 'no bidi control stored, every name and city has a letter')
    t.same(rejections, [], 'no unhandled rejection')
  })
}
