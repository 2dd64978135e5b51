import t from 'tap'
import { volunteer } from '../accounts-helper.js'
import { requestBody, uniquePhone, waitFor } from '../helper.js'
import { setup } from '../tasks-helper.js'
import { partner, partnerAccount } from './partners-helper.js'

t.test('coordinators register partners and issue, list and revoke keys; all audited', async (t) => {
  const { app, boss } = await setup(t)
  const p = await partner(app, boss, { regions: ['Алма-Ата', 'Astana'], webhookSecret: null })
  const listed = (await app.inject({ url: '/api/v1/partners', headers: boss.headers })).json().partners
  t.match(
    listed,
    [{ id: p.id, regions: ['almaty', 'astana'], intake: 'pages', mayBeNamed: false, active: true }],
    'regions as city keys',
  )
  t.notOk('webhookSecret' in listed[0], 'a secret is never shown')
  t.match(p.key, /^bpk_[A-Za-z0-9_-]{43}$/, 'a key is marked as a partner key')
  const keys = (await app.inject({ url: `/api/v1/partners/${p.id}/keys`, headers: boss.headers })).json().keys
  t.match(keys, [{ id: p.keyId, prefix: p.key.slice(0, 10), label: 'script', revokedAt: null }])
  t.notOk(JSON.stringify(keys).includes(p.key), 'the key itself is not kept')
  const stored = await app.db.query('SELECT key_hash FROM partner_keys WHERE id = $1', [p.keyId])
  t.not(stored.rows[0].key_hash, p.key)

  t.equal((await app.inject({ url: '/api/v1/partner/referrals', headers: p.headers })).statusCode, 200, 'the key works')
  const edited = await app.inject({
    method: 'PATCH',
    url: `/api/v1/partners/${p.id}`,
    headers: boss.headers,
    payload: { mayBeNamed: true },
  })
  t.match(edited.json(), { mayBeNamed: true, name: 'Red Crescent Almaty' })
  const revoke = await app.inject({ method: 'DELETE', url: `/api/v1/partners/${p.id}/keys/${p.keyId}`, headers: boss.headers })
  t.equal(revoke.statusCode, 204)
  const after = await app.inject({ url: '/api/v1/partner/referrals', headers: p.headers })
  t.equal(after.json().code, 'APP_ERR_UNAUTHENTICATED', 'a revoked key is refused')
  const again = await app.inject({ method: 'DELETE', url: `/api/v1/partners/${p.id}/keys/${p.keyId}`, headers: boss.headers })
  t.equal(again.json().code, 'APP_ERR_PARTNER_KEY_NOT_FOUND')
  const forged = await app.inject({ url: '/api/v1/partner/referrals', headers: { authorization: 'Bearer bpk_not-a-key' } })
  t.equal(forged.json().code, 'APP_ERR_UNAUTHENTICATED')
  const asSession = await app.inject({ url: '/api/v1/me', headers: (await partner(app, boss)).headers })
  t.equal(asSession.json().code, 'APP_ERR_UNAUTHENTICATED', 'a key is no session')

  const actions = await app.db.query(`SELECT action FROM audit_events WHERE action LIKE 'partner.%' ORDER BY id`)
  t.match(
    actions.rows.map((r) => r.action),
    ['partner.created', 'partner.key_issued', 'partner.edited', 'partner.key_revoked'],
  )
  const missing = await app.inject({
    method: 'PATCH',
    url: '/api/v1/partners/999999',
    headers: boss.headers,
    payload: { active: false },
  })
  t.equal(missing.json().code, 'APP_ERR_PARTNER_NOT_FOUND')
})

t.test('bad partner input is a 400 with the field named', async (t) => {
  const { app, boss } = await setup(t)
  const post = (payload: object) => app.inject({ method: 'POST', url: '/api/v1/partners', headers: boss.headers, payload })
  const base = { name: 'X group', categories: ['food'], languages: ['ru'], intake: 'pages' }
  for (const [bad, path] of [
    [{ ...base, categories: ['weapons'] }, 'categories.0'],
    [{ ...base, categories: [] }, 'categories'],
    [{ ...base, intake: 'webhook' }, 'webhookUrl'],
    [{ ...base, webhookUrl: 'ftp://x.example' }, 'webhookUrl'],
    [{ ...base, webhookUrl: 'https://user:pw@x.example/' }, 'webhookUrl'],
    [{ ...base, webhookSecret: 'short' }, 'webhookSecret'],
    [{ ...base, name: '' }, 'name'],
    [{ ...base, extra: 1 }, 'extra'],
  ] as const) {
    const res = await post(bad)
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'APP_ERR_VALIDATION')
    t.match(res.json().errors, [{ path }], path)
  }
  const key = await app.inject({
    method: 'POST',
    url: '/api/v1/partners/999999/keys',
    headers: boss.headers,
    payload: { label: 'x' },
  })
  t.equal(key.json().code, 'APP_ERR_PARTNER_NOT_FOUND')
  const notId = await app.inject({ url: '/api/v1/partners/abc/keys', headers: boss.headers })
  t.equal(notId.json().code, 'APP_ERR_VALIDATION')
})

t.test('the walk: needs help with consent → referral → partner accepts → done → requester told', async (t) => {
  const { stack } = await import('../twilio-helper.js')
  const { app, fake } = await stack(t)
  const { coordinator } = await import('../accounts-helper.js')
  const boss = await coordinator(app)
  const aid = await partner(app, boss, { mayBeNamed: true, name: 'Qyzyl Jarty' })
  const elsewhere = await partner(app, boss, { name: 'Astana food', regions: ['Астана'] })
  const staff = await partnerAccount(app, boss, aid.id)
  const body = requestBody({
    requester: { language: 'ru', notifyVia: 'sms' },
    relative: { city: 'Алматы', phone: uniquePhone() },
  })
  const { reference } = (await app.inject({ method: 'POST', url: '/api/v1/requests', payload: body })).json()
  await waitFor('received SMS', async () => fake.messages.length === 1)
  const vera = await volunteer(app, boss, { languages: ['ru'] })
  await waitFor(
    'claimed',
    async () => (await app.inject({ method: 'POST', url: '/api/v1/tasks/claim', headers: vera.headers })).statusCode === 200,
  )
  const outcome = await app.inject({
    method: 'POST',
    url: `/api/v1/tasks/${reference}/outcome`,
    headers: vera.headers,
    payload: {
      outcome: 'reached_needs_help',
      referral: { categories: ['medical'], note: 'Insulin for two days', consent: true },
    },
  })
  t.match(outcome.json(), { status: 'reached_needs_help' })
  await waitFor('outcome SMS', async () => fake.messages.length === 2)

  t.same(
    (await app.inject({ url: '/api/v1/partner/referrals', headers: elsewhere.headers })).json().referrals,
    [],
    'another region sees nothing',
  )
  const [offered] = (await app.inject({ url: '/api/v1/partner/referrals', headers: aid.headers })).json().referrals
  t.match(offered, {
    kind: 'needs',
    state: 'offered',
    reference,
    categories: ['medical'],
    note: 'Insulin for two days',
    city: 'Алматы',
    family: { name: body.relative.name, phone: body.relative.phone },
  })
  const other = await app.inject({ url: `/api/v1/partner/referrals/${offered.id}`, headers: elsewhere.headers })
  t.equal(other.json().code, 'APP_ERR_REFERRAL_NOT_FOUND', "another partner's case is a 404")
  const early = await app.inject({ method: 'POST', url: `/api/v1/partner/referrals/${offered.id}/done`, headers: aid.headers })
  t.equal(early.json().code, 'APP_ERR_REFERRAL_STATE', 'done only once accepted')

  const accepted = await app.inject({
    method: 'POST',
    url: `/api/v1/partner/referrals/${offered.id}/accept`,
    headers: staff.headers,
  })
  t.match(accepted.json(), { state: 'accepted' }, 'a partner account accepts')
  await waitFor('the "passed on" SMS and the name', async () => fake.messages.length === 4)
  // The notify worker sends concurrently: the two arrive in either order.
  const bodies = fake.messages.slice(2).map((m) => String(m.params.Body))
  t.ok(
    bodies.some((b) => /передали/.test(b)),
    'in the requester’s language',
  )
  t.ok(
    bodies.some((b) => /Qyzyl Jarty/.test(b)),
    'named, since the partner agreed',
  )
  t.same(
    fake.messages.slice(2).map((m) => m.params.To),
    [body.requester.phone, body.requester.phone],
  )
  const page = await app.inject({ url: '/partner?lang=en', cookies: { bailanys_session: staff.token } })
  t.equal(page.statusCode, 200)
  t.match(page.body, /Insulin for two days/, "the partner's page lists the open case")
  t.match(page.body, body.relative.name, 'with the family, who consented')
  const done = await app.inject({ method: 'POST', url: `/api/v1/partner/referrals/${offered.id}/done`, headers: aid.headers })
  t.match(done.json(), { state: 'done' })
  t.same((await app.inject({ url: '/api/v1/partner/referrals', headers: aid.headers })).json().referrals, [], 'no longer open')
  t.match((await app.inject({ url: '/api/v1/partner/referrals?state=all', headers: aid.headers })).json().referrals, [
    { state: 'done' },
  ])

  const { purgeClosedRequests } = await import('../../src/db/maintenance-repository.js')
  await app.db.query(`UPDATE requests SET closed_at = now() - interval '40 days' WHERE reference = $1`, [reference])
  t.equal(await purgeClosedRequests(app.db, 30), 1)
  const purged = await app.db.query('SELECT note, purged_at FROM referrals WHERE id = $1', [offered.id])
  t.match(purged.rows[0], { note: null, purged_at: Date }, 'the retention purge covers referrals')
  const afterPurge = await app.inject({ url: `/api/v1/partner/referrals/${offered.id}`, headers: aid.headers })
  t.match(afterPurge.json(), { family: { name: null, phone: null }, note: null })
  const reads = await app.db.query(
    `SELECT account_id::text, data FROM audit_events WHERE action LIKE 'partner.case.%' ORDER BY id`,
  )
  t.ok(reads.rows.length >= 4, 'every read is audited')
  t.ok(
    reads.rows.some((r) => r.account_id === staff.id),
    'by the account when a person read it',
  )
  t.ok(
    reads.rows.some((r) => r.data.key === aid.keyId),
    'by the key otherwise',
  )
  const events = await app.db.query(`SELECT type FROM referral_events ORDER BY id`)
  t.same(
    events.rows.map((r) => r.type),
    ['created', 'offered', 'accepted', 'done'],
  )
})

t.test(
  'without consent no name or phone; declined goes to the next partner, then to coordinators; untouched escalates',
  async (t) => {
    const { app, boss, submit } = await setup(t)
    const first = await partner(app, boss, { name: 'First', categories: ['legal_aid'], everywhere: true, regions: [] })
    const second = await partner(app, boss, { name: 'Second', categories: ['legal_aid', 'food'] })
    const kazakhOnly = await partner(app, boss, {
      name: 'Kazakh only',
      categories: ['legal_aid'],
      languages: ['kk'],
      everywhere: true,
    })
    const reference = await submit({ requester: { language: 'ru' }, relative: { city: 'Алматы' } })
    const vera = await volunteer(app, boss, { languages: ['ru'] })
    await app.inject({ method: 'POST', url: '/api/v1/tasks/claim', headers: vera.headers })
    await app.inject({
      method: 'POST',
      url: `/api/v1/tasks/${reference}/outcome`,
      headers: vera.headers,
      payload: { outcome: 'reached_needs_help', referral: { categories: ['legal_aid'], consent: false } },
    })
    const mine = async (p: { headers: Record<string, string> }) =>
      (await app.inject({ url: '/api/v1/partner/referrals', headers: p.headers })).json().referrals
    const [offered] = await mine(first)
    t.match(offered, { state: 'offered', family: null, categories: ['legal_aid'] }, 'no family without consent')
    t.notOk(JSON.stringify(offered).includes('+7'), 'no phone anywhere')
    t.same(await mine(kazakhOnly), [], 'a partner without the language is not offered it')

    const declined = await app.inject({
      method: 'POST',
      url: `/api/v1/partner/referrals/${offered.id}/decline`,
      headers: first.headers,
    })
    t.match(declined.json(), { id: offered.id, state: 'declined' }, declined.body)
    t.match(await mine(second), [{ id: offered.id, state: 'offered' }], 'offered to the next match')
    t.same(await mine(first), [])

    const proposals = await app.inject({ url: `/api/v1/referrals/${offered.id}/proposals`, headers: boss.headers })
    t.match(
      proposals.json().partners.map((p: { name: string }) => p.name),
      ['Second', 'First'],
      'those that declined come last',
    )
    const { escalateReferrals } = await import('../../src/services/referrals.js')
    await app.db.query(`UPDATE referrals SET offered_at = now() - interval '2 hours'`)
    t.equal(await escalateReferrals(app.db, 60), 1, 'untouched past the limit')
    const row = await app.db.query('SELECT state, partner_id, escalated_at, declined_by::text[] FROM referrals WHERE id = $1', [
      offered.id,
    ])
    t.match(row.rows[0], { state: 'unassigned', partner_id: null }, 'nobody else: back to coordinators')
    t.ok(row.rows[0].escalated_at, 'marked escalated')
    t.same(row.rows[0].declined_by, [first.id, second.id])

    const assign = await app.inject({
      method: 'POST',
      url: `/api/v1/referrals/${offered.id}/assign`,
      headers: boss.headers,
      payload: { partnerId: first.id },
    })
    t.match(assign.json(), { state: 'offered', partnerId: first.id }, 'a coordinator may choose anyone')
    t.match(await mine(first), [{ id: offered.id }])
    const gone = await app.inject({
      method: 'POST',
      url: `/api/v1/referrals/${offered.id}/assign`,
      headers: boss.headers,
      payload: { partnerId: '999999' },
    })
    t.equal(gone.json().code, 'APP_ERR_PARTNER_NOT_FOUND')
    const none = await app.inject({
      method: 'POST',
      url: '/api/v1/referrals/999999/assign',
      headers: boss.headers,
      payload: { partnerId: null },
    })
    t.equal(none.json().code, 'APP_ERR_REFERRAL_NOT_FOUND')
  },
)
