import { randomBytes } from 'node:crypto'
import t from 'tap'
import { insertAccount } from '../../src/db/account-repository.js'
import { insertSession } from '../../src/db/session-repository.js'
import type { Language } from '../../src/domain/request-states.js'
import { hashToken } from '../../src/services/auth.js'
import { build, requestBody, uniquePhone } from '../helper.js'
import { relayFor } from '../relay-helper.js'

const BACKLOG = 1000
const VOLUNTEERS = 100
const LANGUAGE_SETS: Language[][] = [['ru'], ['kk'], ['en'], ['ru', 'kk'], ['kk', 'en'], ['ru', 'en']]

t.test('100 volunteers claiming at once from 1,000 requests: none held twice, none skipped', async (t) => {
  const { app, config } = await build(t, { DATABASE_POOL_SIZE: 20 })
  const { relay } = relayFor(t, app, config)

  // The backlog, through the real intake: one in ten medical, languages mixed.
  const languages: Language[] = ['ru', 'kk', 'en']
  for (let i = 0; i < BACKLOG; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, j) =>
        app.inject({
          method: 'POST',
          url: '/api/v1/requests',
          payload: requestBody({
            requester: { language: languages[(i + j) % 3] },
            flags: { elderly: false, medical: (i + j) % 10 === 0 },
          }),
        }),
      ),
    )
  }
  await relay.runOnce()

  // Volunteers with sessions made directly (a hundred argon2 logins would only slow the test).
  const volunteers = await Promise.all(
    Array.from({ length: VOLUNTEERS }, async (_, i) => {
      const account = await insertAccount(app.db, {
        role: 'volunteer',
        name: `V${i}`,
        phone: uniquePhone(),
        passwordHash: 'unused',
        languages: LANGUAGE_SETS[i % LANGUAGE_SETS.length] as Language[],
        status: 'approved',
      })
      await app.db.query('UPDATE accounts SET available = true WHERE id = $1', [account?.id])
      const token = randomBytes(24).toString('base64url')
      await insertSession(app.db, { tokenHash: hashToken(token), accountId: account?.id as string, hours: 1 })
      return {
        id: account?.id as string,
        languages: account?.languages as Language[],
        headers: { authorization: `Bearer ${token}` },
      }
    }),
  )

  const claimedBy = new Map<string, string[]>()
  const wrongLanguage: string[] = []
  await Promise.all(
    volunteers.map(async (v) => {
      for (;;) {
        const res = await app.inject({ method: 'POST', url: '/api/v1/tasks/claim', headers: v.headers })
        if (res.statusCode === 204) return
        if (res.statusCode !== 200) throw new Error(`claim answered ${res.statusCode}: ${res.body}`)
        const task = res.json().task
        claimedBy.set(task.reference, [...(claimedBy.get(task.reference) ?? []), v.id])
        if (!v.languages.includes(task.requester.language)) wrongLanguage.push(task.reference)
        const done = await app.inject({
          method: 'POST',
          url: `/api/v1/tasks/${task.reference}/outcome`,
          headers: v.headers,
          payload: { outcome: 'reached_safe' },
        })
        if (done.statusCode !== 200) throw new Error(`outcome answered ${done.statusCode}: ${done.body}`)
      }
    }),
  )

  t.equal(claimedBy.size, BACKLOG, 'every request was claimed')
  t.same(
    [...claimedBy.values()].filter((holders) => holders.length > 1),
    [],
    'none by two volunteers',
  )
  t.same(wrongLanguage, [], 'each in a language its volunteer speaks')
  const { rows } = await app.db.query(
    `SELECT r.status, count(*)::int AS n,
            sum((SELECT count(*) FROM request_events e WHERE e.request_id = r.id AND e.type = 'claimed'))::int AS claims
     FROM requests r GROUP BY r.status`,
  )
  t.same(rows, [{ status: 'reached_safe', n: BACKLOG, claims: BACKLOG }], 'all answered, each claimed once')
  t.equal((await app.db.query('SELECT 1 FROM leases')).rowCount, 0, 'no lease left behind')

  // Priority: within each language, the medical requests went before the plain ones, allowing for
  // the claims in flight at the same moment (at most one per volunteer).
  const order = await app.db.query(
    `SELECT r.requester_language AS language, r.flag_medical AS medical, e.id
     FROM request_events e JOIN requests r ON r.id = e.request_id WHERE e.type = 'claimed' ORDER BY e.id`,
  )
  for (const language of languages) {
    const sequence = order.rows.filter((r) => r.language === language)
    const urgent = sequence.filter((r) => r.medical).length
    const lastUrgent = sequence.map((r) => r.medical).lastIndexOf(true)
    t.ok(
      lastUrgent < urgent + VOLUNTEERS,
      `${language}: the ${urgent} medical requests were among the first ${urgent + VOLUNTEERS} claimed (last at ${lastUrgent})`,
    )
  }
})
