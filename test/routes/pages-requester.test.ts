import t from 'tap'
import { checkinJobId } from '../../src/queues/checkins.js'
import { statusView } from '../../src/routes/pages/status-view.js'
import type { RequesterStatus } from '../../src/services/status.js'
import { volunteer } from '../accounts-helper.js'
import { PLURAL_SAMPLES } from '../browser/browser-helper.js'
import { uniquePhone } from '../helper.js'
import { claim, setup } from '../tasks-helper.js'

const { app, boss, submit: submitApi, checkins } = await setup(t)

/** Posts a requester's form as a browser would: its CSRF token and cookie from a visit first. */
async function submit(fields: Record<string, string>, options: { url?: string; lang?: string } = {}) {
  const { url = '/', lang = 'en' } = options
  const visit = await app.inject({ url, headers: { 'accept-language': lang } })
  const token = /name="_csrf" value="([^"]+)"/.exec(visit.body)?.[1] ?? ''
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': lang },
    cookies: Object.fromEntries(visit.cookies.map((c) => [c.name, c.value])),
    payload: new URLSearchParams({ _csrf: token, ...fields }).toString(),
  })
}

const good = () => ({
  requesterName: 'Айгуль',
  requesterPhone: uniquePhone(),
  language: 'ru',
  notifyVia: 'sms',
  relativeName: 'Сауле',
  relativePhone: uniquePhone(),
  city: 'Алматы',
  consent: 'true',
})
const errorsOf = (html: string) =>
  Object.fromEntries([...html.matchAll(/id="([A-Za-z]+)-error">([^<]*)</g)].map((m) => [m[1], m[2]]))
const WORDS = {
  required: 'Please fill this in.',
  phone: 'This is not a phone number we can call. Write it like 8 701 123 45 67.',
  sms: 'This number cannot receive SMS: give a mobile number or choose a call.',
  tooLong: 'This is too long.',
  invalid: 'Please check this field.',
}

// The page picks its words by the issue's field, code and input, never by the schema's wording:
// each kind of error below is told apart.
t.test('each kind of field error gets its own words', async (t) => {
  const cases: [string, Record<string, string>, Record<string, string>][] = [
    ['blank', { relativeName: '  ', city: '' }, { relativeName: WORDS.required, city: WORDS.required }],
    [
      'not a phone',
      { relativePhone: '12345', relativeAltPhone: 'abc' },
      { relativePhone: WORDS.phone, relativeAltPhone: WORDS.phone },
    ],
    ['a landline for SMS', { requesterPhone: '8 727 250 12 34' }, { requesterPhone: WORDS.sms }],
    [
      'too long',
      { relativeName: 'ж'.repeat(101), notes: 'n'.repeat(1001), requesterPhone: '8'.repeat(33) },
      { relativeName: WORDS.tooLong, notes: WORDS.tooLong, requesterPhone: WORDS.tooLong },
    ],
    [
      'a control character',
      { relativeName: 'Сау\u0007ле', address: 'a\u0001b' },
      { relativeName: WORDS.invalid, address: WORDS.invalid },
    ],
    ['no language', { language: 'de' }, { language: WORDS.invalid }],
  ]
  for (const [what, fields, expected] of cases) {
    const res = await submit({ ...good(), ...fields })
    t.equal(res.statusCode, 400, `${what}: 400`)
    t.same(errorsOf(res.body), expected, `${what}: the words at each field`)
  }
})

t.test('the landline is fine for a call', async (t) => {
  const res = await submit({ ...good(), requesterPhone: '8 727 250 12 34', notifyVia: 'voice' })
  t.equal(res.statusCode, 201)
})

t.test('an empty phone is told to fill it in, not that it is no phone; an empty optional one is fine', async (t) => {
  const res = await submit({ ...good(), requesterPhone: '', relativePhone: '   ', relativeAltPhone: '' })
  t.equal(res.statusCode, 400)
  t.same(errorsOf(res.body), { requesterPhone: WORDS.required, relativePhone: WORDS.required })
})

t.test('the consent is its own box after the needs; the summary names it without the whole notice', async (t) => {
  const res = await submit({ ...good(), consent: '' })
  t.equal(res.statusCode, 400)
  const needs = res.body.indexOf('class="group-needs"')
  const agreement = res.body.indexOf('<fieldset class="group-agreement"><legend>Your agreement</legend>')
  t.ok(needs > 0 && agreement > needs, 'after the needs question, in a box of its own')
  t.ok(res.body.indexOf('id="consent"') > agreement, 'the checkbox is in it')
  t.notMatch(res.body.slice(needs, agreement), 'type="checkbox" id="consent"', 'not among the needs')
  t.match(res.body, '<li><a href="#consent">Your agreement: Please agree to the notice to send the request.</a></li>')
  t.equal(res.body.split('Bailanys keeps these details').length - 1, 1, 'the notice once, at its box')
})

t.test('the status form: an empty field is said at the field', async (t) => {
  const res = await submit({ ref: '', phone: '' }, { url: '/status' })
  t.equal(res.statusCode, 400)
  t.same(errorsOf(res.body), { ref: WORDS.required, phone: WORDS.required })
  t.match(res.body, /id="ref"[^>]*aria-invalid="true" aria-describedby="ref-error" autofocus/)
  const phoneOnly = await submit({ ref: 'K7QM-4XTR', phone: ' ' }, { url: '/status' })
  t.same(errorsOf(phoneOnly.body), { phone: WORDS.required })
  t.match(phoneOnly.body, /id="phone"[^>]*aria-invalid="true" aria-describedby="phone-error" autofocus/)
  const huge = await submit({ ref: 'K7QM-4XTR'.repeat(500), phone: '8'.repeat(5000) }, { url: '/status' })
  t.equal(huge.statusCode, 404, 'anything too long is simply not found')
  t.match(huge.body, 'We found no request with this reference and phone.')
})

const idOf = async (reference: string) =>
  (await app.db.query('SELECT id::text FROM requests WHERE reference = $1', [reference])).rows[0].id as string

t.test('the status page: the outcome in words, the message, the calls, what next, times in the zone', async (t) => {
  const vera = await volunteer(app, boss, { languages: ['en'] })
  const phone = uniquePhone()
  const reference = await submitApi({ requester: { phone, language: 'en' } })
  const look = (lang = 'en') => submit({ ref: reference, phone }, { url: '/status', lang })
  const answer = async (payload: object) => {
    t.equal((await claim(app, vera.headers)).json().task.reference, reference)
    await app.inject({ method: 'POST', url: `/api/v1/tasks/${reference}/outcome`, headers: vera.headers, payload })
  }
  const waiting = await look()
  t.equal(waiting.statusCode, 200)
  for (const text of ['Your request is waiting for a free volunteer.', 'No call made yet.', 'waiting for a volunteer'])
    t.match(waiting.body, text)
  t.match(
    waiting.body,
    /<dt>Last change<\/dt><dd><time datetime="[^"]+">\d\d:\d\d \(UTC\+5\)<\/time>/,
    'today: the time, zone named',
  )

  await answer({ outcome: 'no_answer', messageToRequester: 'No answer <b>yet</b>; again tonight', note: 'Neighbour: away' })
  const api = (await app.inject({ url: `/api/v1/requests/${reference}?phone=${encodeURIComponent(phone)}` })).json()
  const next = new Date(api.nextAttemptAt).toLocaleTimeString('en', {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: 'Asia/Almaty',
  })
  const queued = await look()
  t.match(
    queued.body,
    '<blockquote translate="no" data-any-language>No answer &lt;b&gt;yet&lt;/b&gt;; again tonight</blockquote>',
  )
  t.match(queued.body, '1 call made so far.')
  t.match(queued.body, `Nobody answered. A volunteer will try again around ${next} (UTC+5).`, 'the retry policy, in the zone')
  t.notMatch(queued.body, 'Neighbour', "never the volunteer's note")

  await checkins.en.getJob(checkinJobId(await idOf(reference))).then((job) => job?.promote())
  await answer({ outcome: 'reached_safe', messageToRequester: 'Мама дома, всё хорошо' })
  const safe = await look('ru')
  t.match(safe.body, 'class="status-result tone-good"')
  for (const text of [
    'Волонтёр дозвонился до вашего родного. С ним всё хорошо.',
    'Мама дома, всё хорошо',
    'Сделано 2 звонка.',
    'заявка закрыта',
  ])
    t.match(safe.body, text)
})

t.test('the status words: each state, the plurals for 1, 2, 5, 21, any configured zone', async (t) => {
  const at = new Date('2026-12-02T09:00:00Z')
  const base: RequesterStatus = {
    reference: 'K7QM4XTR',
    status: 'queued',
    createdAt: at,
    updatedAt: at,
    latestOutcome: { outcome: 'no_answer', at },
    attempts: 1,
    messageToRequester: null,
    nextAttemptAt: new Date('2026-12-02T09:20:00Z'),
    retrying: true,
  }
  const view = (over: Partial<RequesterStatus>, language: 'kk' | 'ru' | 'en' = 'en', timeZone = 'Asia/Almaty') =>
    statusView({ ...base, ...over }, { language, timeZone, now: at })
  t.equal(view({}).next, 'Nobody answered. A volunteer will try again around 14:20 (UTC+5).')
  t.equal(view({}, 'en', 'America/New_York').next, 'Nobody answered. A volunteer will try again around 04:20 (UTC-5).')
  t.equal(
    view({ nextAttemptAt: new Date('2026-12-02T20:00:00Z') }).next,
    'Nobody answered. A volunteer will try again around Dec 3, 01:00 (UTC+5).',
    'another day: the date too',
  )
  t.equal(view({ nextAttemptAt: null }).next, 'Nobody answered the last call. A volunteer will try again as soon as one is free.')
  t.equal(view({ updatedAt: new Date('2026-11-30T09:00:00Z') }).updated, 'Nov 30, 14:00 (UTC+5)')
  const expected = {
    en: ['1 call made so far.', '2 calls made so far.', '5 calls made so far.', '21 calls made so far.'],
    ru: ['Сделан 1 звонок.', 'Сделано 2 звонка.', 'Сделано 5 звонков.', 'Сделан 21 звонок.'],
    kk: ['1 рет қоңырау шалынды.', '2 рет қоңырау шалынды.', '5 рет қоңырау шалынды.', '21 рет қоңырау шалынды.'],
  }
  for (const language of ['kk', 'ru', 'en'] as const)
    t.same(
      PLURAL_SAMPLES.map((attempts) => view({ attempts }, language).calls),
      expected[language],
      `${language}: plurals`,
    )
  for (const status of [
    'received',
    'queued',
    'claimed',
    'reached_safe',
    'reached_needs_help',
    'wrong_number',
    'unreachable',
    'cancelled',
    'duplicate',
  ] as const)
    for (const language of ['kk', 'ru', 'en'] as const) {
      const v = view({ status, nextAttemptAt: null, retrying: false }, language)
      t.ok(v.now && v.next && !/page\.status/.test(v.now + v.next), `${language} ${status}: words`)
    }
})

t.test('notes at the limit with line breaks: the browser sends CRLF, the limit counts each as one', async (t) => {
  const notes = `${'Мама одна дома.\r\n'.repeat(50)}`.padEnd(1000 + 50, 'ж')
  t.equal(notes.replace(/\r\n/g, '\n').length, 1000)
  const res = await submit({ ...good(), notes })
  t.equal(res.statusCode, 201)
})
