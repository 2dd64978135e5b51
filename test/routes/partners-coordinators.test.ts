import { parse } from 'csv-parse/sync'
import t from 'tap'
import { REFERRAL_CSV_COLUMNS } from '../../src/services/referrals-csv.js'
import { volunteer } from '../accounts-helper.js'
import { claim, setup } from '../tasks-helper.js'
import { partner } from './partners-helper.js'

// One app for the file: three referrals (offered, accepted, back with coordinators) and a dead push.
const { app, boss, submit } = await setup(t)
const aid = await partner(app, boss, { name: 'Qyzyl Jarty', categories: ['medical'] })
const vera = await volunteer(app, boss, { languages: ['ru'] })
const session = { bailanys_session: boss.headers.authorization.slice(7) }

/** A needs case recorded by a volunteer; returns the referral's id. */
async function needs(category: string, note: string) {
  const reference = await submit({ requester: { language: 'ru' }, relative: { city: 'Алматы' } })
  await claim(app, vera.headers)
  await app.inject({
    method: 'POST',
    url: `/api/v1/tasks/${reference}/outcome`,
    headers: vera.headers,
    payload: { outcome: 'reached_needs_help', referral: { categories: [category], note, consent: false } },
  })
  const { rows } = await app.db.query(
    'SELECT f.id::text FROM referrals f JOIN requests r ON r.id = f.request_id WHERE r.reference = $1',
    [reference],
  )
  return { id: rows[0].id as string, reference }
}

const offered = await needs('medical', '=HYPERLINK("x")')
const accepted = await needs('medical', 'Insulin')
await app.inject({ method: 'POST', url: `/api/v1/partner/referrals/${accepted.id}/accept`, headers: aid.headers })
const unassigned = await needs('shelter', 'Roof')
await app.db.query(`UPDATE referrals SET offered_at = now() - interval '90 minutes' WHERE id = $1`, [unassigned.id])
await app.db.query(
  `INSERT INTO partner_deliveries (partner_id, referral_id, event, state) VALUES ($1, $2, 'referral.offered', 'dead')`,
  [aid.id, offered.id],
)

t.test('the backlog counts referrals by state and partner, the oldest untouched and the dead pushes', async (t) => {
  const res = await app.inject({ url: '/api/v1/backlog', headers: boss.headers })
  t.equal(res.statusCode, 200)
  const { referrals } = res.json()
  t.same(referrals.byState, { offered: 1, accepted: 1, done: 0, unassigned: 1 })
  t.same(referrals.byPartner, [{ partnerId: aid.id, name: 'Qyzyl Jarty', offered: 1, accepted: 1 }])
  t.ok(referrals.oldestUntouchedSeconds >= 90 * 60, 'the case back with coordinators, waiting 90 minutes')
  t.equal(referrals.deadDeliveries, 1)
})

t.test('the dashboard shows them, in each language', async (t) => {
  for (const [lang, heading] of [
    ['en', 'Cases passed to partners'],
    ['ru', 'Случаи, переданные партнёрам'],
    ['kk', 'Серіктестерге берілген істер'],
  ] as const) {
    const page = await app.inject({ url: '/coordinator', cookies: { ...session, lang } })
    t.equal(page.statusCode, 200)
    t.match(page.body, heading, lang)
    t.match(page.body, /Qyzyl Jarty/)
    t.match(page.body, /data-k="referrals.byState.offered">1</)
  }
  const en = await app.inject({ url: '/coordinator', cookies: { ...session, lang: 'en' } })
  t.match(en.body, /Oldest untouched case<\/span><span class="n">9\d minutes/)
  const part = await app.inject({ url: '/coordinator/live/summary', cookies: { ...session, lang: 'en' } })
  t.match(part.body, /Back with coordinators/, 'the live part carries the section too')
})

t.test('the referrals CSV: every referral, the note only with personal=true, formulas neutralised', async (t) => {
  const res = await app.inject({ url: '/api/v1/export/referrals.csv', headers: boss.headers })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /text\/csv/)
  t.match(res.headers['content-disposition'], /bailanys-referrals-\d{4}-\d\d-\d\d\.csv/)
  const rows = parse(res.body, { columns: true, bom: true }) as Record<string, string>[]
  t.same(Object.keys(rows[0] ?? {}), [...REFERRAL_CSV_COLUMNS])
  t.match(rows, [
    { referral_id: offered.id, reference: offered.reference, state: 'offered', partner_name: 'Qyzyl Jarty', consent: 'false' },
    { referral_id: accepted.id, state: 'accepted', categories: 'medical' },
    { referral_id: unassigned.id, state: 'unassigned', partner_id: '', categories: 'shelter' },
  ])
  t.notOk(/Insulin|HYPERLINK|Roof/.test(res.body), 'no note without personal=true')

  const personal = await app.inject({ url: '/api/v1/export/referrals.csv?personal=true', headers: boss.headers })
  const withNotes = parse(personal.body, { columns: true, bom: true }) as Record<string, string>[]
  t.same(
    withNotes.map((r) => r.note),
    [`'=HYPERLINK("x")`, 'Insulin', 'Roof'],
  )
  const filtered = await app.inject({ url: '/api/v1/export/referrals.csv?state=accepted', headers: boss.headers })
  t.same(
    (parse(filtered.body, { columns: true, bom: true }) as Record<string, string>[]).map((r) => r.referral_id),
    [accepted.id],
  )
  const audits = await app.db.query(`SELECT data FROM audit_events WHERE action = 'export.referrals_csv' ORDER BY id`)
  t.match(
    audits.rows.map((r) => r.data),
    [{ personal: false }, { personal: true }, { state: 'accepted' }],
  )
})

t.test('bad export queries are 400 problems; only coordinators export', async (t) => {
  for (const query of ['state=lost', 'personal=yes', 'since=yesterday', 'extra=1']) {
    const res = await app.inject({ url: `/api/v1/export/referrals.csv?${query}`, headers: boss.headers })
    t.equal(res.statusCode, 400, query)
    t.equal(res.json().code, 'APP_ERR_VALIDATION', query)
  }
  const asVolunteer = await app.inject({ url: '/api/v1/export/referrals.csv', headers: vera.headers })
  t.equal(asVolunteer.json().code, 'APP_ERR_FORBIDDEN')
  const asPartner = await app.inject({ url: '/api/v1/export/referrals.csv', headers: aid.headers })
  t.equal(asPartner.statusCode, 401, 'a partner key opens the partner API only')
  t.equal(asPartner.json().code, 'APP_ERR_UNAUTHENTICATED')
})
