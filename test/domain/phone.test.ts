import t from 'tap'
import { normalisePhone } from '../../src/domain/phone.js'

const GOOD: [string, string, boolean][] = [
  // input, E.164, can receive SMS
  ['8 701 123 45 67', '+77011234567', true],
  ['+7 (701) 123-45-67', '+77011234567', true],
  ['77011234567', '+77011234567', true],
  ['87011234567', '+77011234567', true],
  ['8(777)3214567', '+77773214567', true],
  ['7011234567', '+77011234567', true],
  ['+7 747 000 11 22', '+77470001122', true],
  ['8 727 250 12 34', '+77272501234', false], // Almaty landline
  ['+79161234567', '+79161234567', true], // Russian mobile
  ['+44 7911 123456', '+447911123456', true],
  ['+49 30 1234567', '+49301234567', false], // Berlin landline
  ['  +7.701.123.45.67  ', '+77011234567', true],
]

const BAD = [
  '12345',
  '',
  '   ',
  '+7 701 123 45 6', // one digit short
  '8 701 ABC 45 67',
  '+7 800 123 45 67', // toll-free: nobody to call there
  '+1 900 555 0100', // premium rate
  '+999 123 456 789',
  '0000000000',
  '8 701 123 45 67 89 00 11 22 33 44 55 66', // far too long
  '📞 8 701 123 45 67',
]

t.test('normalises the ways people write numbers', async (t) => {
  for (const [input, e164, canSms] of GOOD) {
    t.match(normalisePhone(input), { ok: true, e164, canSms }, `${input} → ${e164}`)
  }
})

t.test('refuses what is not a callable number', async (t) => {
  for (const input of BAD) t.same(normalisePhone(input), { ok: false, reason: 'invalid_phone' }, JSON.stringify(input))
})

t.test('tells Kazakh numbers from Russian ones despite the shared +7', async (t) => {
  const kz = normalisePhone('8 701 123 45 67')
  const ru = normalisePhone('8 916 123 45 67')
  t.equal(kz.ok && kz.country, 'KZ')
  t.equal(ru.ok && ru.country, 'RU')
})
