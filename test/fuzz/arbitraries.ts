import fc from 'fast-check'

/**
 * The inputs worth throwing at every public boundary: what broke before (NUL, integers past
 * 2³¹), what people really type (Cyrillic, Kazakh letters, RTL names, emoji), what is invisible
 * (zero-width and bidi controls, Hangul fillers), and what a careless client sends (wrong types,
 * missing and extra fields, very long strings).
 */
export const SPECIALS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '%00',
  '\u0001\u001F\u007F',
  '\r\n\t',
  '\u200B\u200B',
  '\u202EАйгуль',
  '\u2066x\u2069',
  '\u200E\u200F\u061C',
  '\uFEFF',
  '\u3164',
  '\uD800',
  '\uDFFF\uD800',
  'Сәуле Нұрланова',
  'ҒҚҢӨҰҮҺІ',
  'Алма-Ата',
  'Алматы',
  'Шымкент',
  'مريم',
  'שלום',
  '李小龍',
  '🙂',
  '👨\u200D👩\u200D👧',
  "'; DROP TABLE requests; --",
  '<script>alert(1)</script>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template placeholder is the input here
  '${x}{{x}}%s%n',
  '\\',
  'null',
  'true',
  'NaN',
  '__proto__',
  'constructor',
  '+77011234567',
  '8 701 123 45 67',
  '12345',
  '2147483648',
  '-2147483649',
  '9223372036854775808',
  '1e400',
  '0x7fffffff',
  'K7QM-4XTR',
  'K7QM4XTR',
  'СТОП',
  'STOP',
  'START',
  'HELP',
  'СТАТУС',
  'ОТМЕНА',
  'LANG kk',
]

const CYRILLIC = [...'абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһіАБВГДЕЖЗИКЛМНОПРСТУӘҒҚҢӨҰҮҺІ -']
const INVISIBLE = ['\u200B', '\u200C', '\u200D', '\u2060', '\u202A', '\u202E', '\u2066', '\u2069', '\u061C', '\uFEFF']

/** A string from one of the families above, or a mix of them. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...SPECIALS), weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }), weight: 2 },
  { arbitrary: fc.string({ unit: fc.constantFrom(...CYRILLIC), minLength: 1, maxLength: 40 }), weight: 3 },
  { arbitrary: fc.string({ unit: fc.constantFrom(...INVISIBLE, 'a', 'ә'), maxLength: 8 }), weight: 1 },
  { arbitrary: fc.string({ minLength: 90, maxLength: 2000 }), weight: 1 },
  { arbitrary: fc.array(fc.constantFrom(...SPECIALS), { minLength: 2, maxLength: 4 }).map((a) => a.join('')), weight: 1 },
  // A control character (NUL most often) inside otherwise ordinary text: what broke PostgreSQL.
  {
    arbitrary: fc
      .tuple(
        fc.string({ maxLength: 8 }),
        fc.constantFrom('\u0000', '\u0000', '\u0001', '\u001B', '\u007F'),
        fc.string({ maxLength: 8 }),
      )
      .map((parts) => parts.join('')),
    weight: 2,
  },
)

/** Numbers around the edges of JavaScript's and PostgreSQL's integers. */
export const edgeNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -1, 1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 53, -(2 ** 53), 1e21, 0.5, -0),
  fc.double(),
)

/** A number as a query string or a form would carry it, or something that only looks like one. */
export const numericString: fc.Arbitrary<string> = fc.oneof(
  edgeNumber.map(String),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.constantFrom('', ' 5 ', '1.5', '٣', '１', '1e3', '0x10', 'Infinity', '-0', '00000000001'),
  nastyString,
)

/** Any JSON value: the wrong type for whatever field it lands in. */
export const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  edgeNumber.filter(Number.isFinite),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(nastyString, fc.integer()), { maxLength: 3 }),
  fc.dictionary(nastyString, nastyString, { maxKeys: 3 }),
)

/** A valid value most of the time, otherwise a nasty string or a value of the wrong type. */
export function mostly<T>(valid: fc.Arbitrary<T>, weight = 6): fc.Arbitrary<T | string | unknown> {
  return fc.oneof({ arbitrary: valid, weight }, { arbitrary: nastyString, weight: 1 }, { arbitrary: wrongType, weight: 1 })
}

/** Undefined (so absent from the body) except one time in `n`. */
export function rarely<T>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: n - 1 }, { arbitrary: arb, weight: 1 })
}

/** A KZ mobile in one of the ways people write it. */
export const phone: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('701', '702', '705', '707', '747', '771', '777'), fc.integer({ min: 0, max: 9_999_999 }))
  .chain(([op, n]) => {
    const d = String(n).padStart(7, '0')
    return fc.constantFrom(`+7${op}${d}`, `8 ${op} ${d.slice(0, 3)} ${d.slice(3, 5)} ${d.slice(5)}`, `8(${op})${d}`)
  })

/** A name as people type it, in Kazakh, Russian or Latin letters, now and then with odd characters. */
export const personName: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom('Айгуль', 'Сауле Нурланова', 'Сәуле Нұрланова', 'Ерлан', 'Aigul Bekova', 'Жанұзақ'), weight: 3 },
  { arbitrary: fc.string({ unit: fc.constantFrom(...CYRILLIC), minLength: 1, maxLength: 30 }), weight: 2 },
  { arbitrary: fc.constantFrom('\u202EАйгуль', 'Ерлан\u200B', '\u200B\u200B', '\u3164', 'Ә\u0000'), weight: 1 },
)

export const city: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('Алматы', 'Алма-Ата', 'Almaty', 'Нур-Султан', 'Қарағанды', 'Шымкент', 'Жаркент', 'г. Тараз'),
  personName,
)

/** Extra fields a strict schema must refuse (or a loose one ignore). */
export const extraFields: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  fc.oneof(fc.constantFrom('__proto__', 'constructor', 'id', 'status', 'priority'), nastyString),
  wrongType,
  { maxKeys: 2 },
)

/**
 * Percent-encodes every byte of the UTF-8 form except unreserved characters. Unlike
 * encodeURIComponent it never throws: a lone surrogate goes as U+FFFD, as a browser would send it.
 */
export function pct(s: string): string {
  let out = ''
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte)
    out += /[A-Za-z0-9_.~-]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** A path segment or query value: properly encoded, or raw bytes that are not valid percent-encoding. */
export const urlPiece: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: nastyString.map(pct), weight: 5 },
  { arbitrary: numericString.map(pct), weight: 2 },
  { arbitrary: fc.constantFrom('%', '%G1', '%C0%80', '%ED%A0%80', '%FF', '%E2%80', '..', '%2e%2e', '%2F'), weight: 1 },
)

/** Text a person may well type in notes or an address: Cyrillic, Kazakh, RTL, emoji, punctuation. */
export const freeText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.constantFrom(...CYRILLIC, ...'0123456789.,;:!?()№'), maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.constantFrom('3 этаж, кв. 12 🙂', 'Мама одна, не отвечает', 'שלום עליכם', 'Әжем ауырып жүр', '👨\u200D👩\u200D👧 дома'),
)

/** One change to a valid body: a field replaced by a nasty string or a wrong type, or removed. */
export type Mutation = [path: string, value: unknown]

export function mutations(paths: readonly string[], maxLength = 3): fc.Arbitrary<Mutation[]> {
  const value = fc.oneof(
    { weight: 3, arbitrary: nastyString },
    { weight: 2, arbitrary: wrongType },
    { weight: 1, arbitrary: fc.constant(undefined) },
  )
  return fc.array(fc.tuple(fc.constantFrom(...paths), value), { maxLength })
}

/** A copy of `body` with the mutations applied at their dotted paths (undefined removes the field). */
export function mutate<T extends object>(body: T, changes: Mutation[]): T {
  const copy = structuredClone(body) as Record<string, unknown>
  for (const [path, value] of changes) {
    const keys = path.split('.')
    let node: Record<string, unknown> = copy
    for (const key of keys.slice(0, -1)) {
      if (typeof node[key] !== 'object' || node[key] === null) node[key] = {}
      node = node[key] as Record<string, unknown>
    }
    const last = keys.at(-1) as string
    if (value === undefined) delete node[last]
    else node[last] = value
  }
  return copy as T
}
