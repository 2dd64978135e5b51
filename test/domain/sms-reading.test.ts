import { readFileSync } from 'node:fs'
import t from 'tap'
import type { Flags } from '../../src/domain/priority.js'
import { readMessage } from '../../src/domain/sms-reading.js'

type Expected = {
  phone: string | null
  altPhone: string | null
  name: string | null
  relation: string | null
  place: string | null
  address: string | null
  flags: (keyof Flags)[]
}
const corpus: { messages: { text: string; lang: string; expect: Expected }[] } = JSON.parse(
  readFileSync(new URL('../fixtures/sms-corpus.json', import.meta.url), 'utf8'),
)

/** Case, "ё", spacing and punctuation at the ends do not make a reading wrong. */
const same = (text: string | null | undefined) =>
  text
    ?.normalize('NFC')
    .toLowerCase()
    .replace(/ё/g, 'е')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.,;:!-]+|[\s.,;:!-]+$/g, '') || null

/** What one message was read as, in the corpus's terms. */
function reading(text: string): Expected {
  const r = readMessage(text)
  const flags = (Object.keys(r.flags) as (keyof Flags)[]).filter((f) => r.flags[f])
  return {
    phone: r.phone ?? null,
    altPhone: r.altPhone ?? null,
    name: r.name ?? null,
    relation: r.relation ?? null,
    place: r.place ?? null,
    address: r.address ?? null,
    flags,
  }
}

t.test('the corpus of first messages is read fully right at least 90 % of the time', async (t) => {
  t.ok(corpus.messages.length >= 60, `${corpus.messages.length} messages`)
  const misses: string[] = []
  for (const { text, expect } of corpus.messages) {
    const got = reading(text)
    const wrong = (Object.keys(expect) as (keyof Expected)[]).filter((field) =>
      field === 'flags'
        ? [...got.flags].sort().join() !== [...expect.flags].sort().join()
        : same(got[field] as string | null) !== same(expect[field] as string | null),
    )
    if (wrong.length > 0)
      misses.push(
        `${text}\n    ${wrong.map((f) => `${f}: got ${JSON.stringify(got[f])}, want ${JSON.stringify(expect[f])}`).join('; ')}`,
      )
  }
  const share = (corpus.messages.length - misses.length) / corpus.messages.length
  t.comment(
    `read fully right: ${corpus.messages.length - misses.length}/${corpus.messages.length} (${(share * 100).toFixed(1)} %)`,
  )
  for (const miss of misses) t.comment(`miss: ${miss}`)
  t.ok(share >= 0.9, `share read fully right: ${(share * 100).toFixed(1)} %`)
})

t.test('the issue’s examples', async (t) => {
  t.match(readMessage('мама в Уральске, 8 778 123 45 67, Галина Петровна'), {
    phone: '+77781234567',
    name: 'Галина Петровна',
    relation: 'мама',
    place: 'Уральск',
  })
  t.match(readMessage('мама 87011234567 или 87021234567 Алматы'), {
    phone: '+77011234567',
    altPhone: '+77021234567',
    relation: 'мама',
    place: 'Алматы',
    name: undefined,
  })
  t.match(readMessage('Проверьте пожалуйста маму Айгуль Сериковна мкр Аксай- д.'), {
    name: 'Айгуль Сериковна',
    relation: 'мама',
    address: 'мкр Аксай- д.',
  })
  t.match(readMessage('Please check on my mother Aigul in'), { name: 'Aigul', relation: 'mother' })
  t.same(readMessage('Проверьте'), { flags: { elderly: false, medical: false, children: false, disability: false } })
  t.match(readMessage('Город Талдыкорган.'), { place: 'Талдыкорган' })
  t.match(readMessage('Astana .'), { place: 'Astana' })
  const forms: [string, string][] = [
    ['в Уральске', 'Уральск'],
    ['из Алматы', 'Алматы'],
    ['Алматыда', 'Алматы'],
    ['Астанадан', 'Астана'],
    ['Шымкентте', 'Шымкент'],
    ['Қарағандыда', 'Қарағанды'],
    ['в Костанае', 'Костанай'],
    ['в Рудном', 'Рудный'],
  ]
  for (const [text, place] of forms) t.match(readMessage(`8 701 123 45 67 ${text}`), { place }, text)
})

t.test('what is not the relative’s is left out', async (t) => {
  t.match(readMessage('Я в Астане, мама в Алматы, 87011234567'), { place: 'Алматы' }, 'the requester’s own city')
  t.match(readMessage('меня зовут Асель, мама Галина 87011234567 Тараз'), { name: 'Галина' }, 'the requester’s own name')
  t.match(readMessage('мой номер 87071112233, мамин 87011234567 Тараз'), { phone: '+77011234567', altPhone: undefined })
  t.match(readMessage('Талгат 87011234567 Талгар'), { name: 'Талгат', place: 'Талгар' }, 'a name one letter from a town')
  t.match(
    readMessage('мама Галина Конаева 87011234567 Алматы'),
    { name: 'Галина Конаева', place: 'Алматы' },
    'a surname like a town',
  )
  t.match(readMessage('drug store 87011234567'), { relation: undefined }, 'an English word is no Russian relation')
  t.match(readMessage('87011234567 мама не берет трубку 2 дня'), { name: undefined, address: undefined })
  t.match(readMessage('8 701 123 45'), { badPhone: true, phone: undefined }, 'a number one digit short')
})

t.test('any text is read without an error', async (t) => {
  for (const text of [
    '',
    ' ',
    '😀',
    '\u202e8701',
    '+',
    '8'.repeat(300),
    'в',
    'ул.',
    'мама мама мама',
    'д. д. д.',
    '(((',
    'и или or',
  ]) {
    t.doesNotThrow(() => readMessage(text), JSON.stringify(text.slice(0, 20)))
  }
})
