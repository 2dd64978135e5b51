import t from 'tap'
import { build, uniquePhone } from '../helper.js'

const { app } = await build(t)

/** Posts the request form as a browser would: its CSRF token and cookie from a visit first. */
async function submit(fields: Record<string, string>) {
  const visit = await app.inject({ url: '/', headers: { 'accept-language': 'en' } })
  const token = /name="_csrf" value="([^"]+)"/.exec(visit.body)?.[1] ?? ''
  return app.inject({
    method: 'POST',
    url: '/',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' },
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

// The page picks its words by the field, code and input, never by the schema's wording:
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
