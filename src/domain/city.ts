import { KAZAKH_LETTERS, KZ_CITIES, KZ_TOWNS } from './kz-cities.js'

const KAZAKH_TO_RUSSIAN: Record<string, string> = {
  ә: 'а',
  ғ: 'г',
  қ: 'к',
  ң: 'н',
  ө: 'о',
  ұ: 'у',
  ү: 'у',
  һ: 'х',
  і: 'и',
  ё: 'е',
}
/** Words around a city name that do not change which city it is ("г. Алматы", "Алматы қаласында"). */
const NOISE = new Set([
  'city',
  'town',
  'г',
  'г.',
  'гор',
  'город',
  'города',
  'городе',
  'қ',
  'қ.',
  'қала',
  'қаласы',
  'қаласында',
  'қаласынан',
  'қаласына',
  'каласы',
  'каласында',
  'qalasy',
  'qalasynda',
  'kalasy',
])

/** Folds case, dashes, spaces, "city"/"город" and Kazakh letters: the key of a place not in the list. */
function fold(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .split(/[\s,]+/)
    .filter((word) => !NOISE.has(word))
    .join('')
    .replace(/[әғқңөұүһіё]/g, (ch) => KAZAKH_TO_RUSSIAN[ch] ?? ch)
    .replace(/[-–—.'’`"]/g, '')
}

const TO_LATIN: Record<string, string> = Object.fromEntries(
  [
    'аa әa бb вv гg ғg дd еe ёe жzh зz иi йi іi кk қk лl мm нn ңn оo өo пp рr сs тt уu ұu үu фf хh һh',
    'цts чch шsh щsh ъ_ ыi ь_ эe юiu яia äa öo üu ūu ıi ğg şsh çch ñn qk wu jzh yi',
  ]
    .join(' ')
    .split(' ')
    .map((pair) => [pair[0] as string, pair.slice(1).replace('_', '')]),
)

/**
 * One spelling for Cyrillic (Kazakh or Russian) and Latin (with or without Kazakh Latin
 * letters): "Қарағанды", "Караганды" and "Qaraghandy" all give "karagandi". Letters only.
 */
export function skeleton(text: string): string {
  return text
    .normalize('NFC')
    .toLowerCase()
    .replace(/[^\p{L}]/gu, '')
    .replace(/kh/g, 'h')
    .replace(/gh/g, 'g')
    .replace(/./g, (ch) => TO_LATIN[ch] ?? ch)
}

type Names = { id: string; kk: string; ru: string; en: string }
type Form = { place: Names; lang: 'kk' | 'ru' | 'en' | 'also'; russianCase: boolean }

// Kazakh case and derivation suffixes in both vowel harmonies and both voicings: a message
// says "Алматыда", "Шымкенттен", "Астанаға", "Қарағандыдағы"; which variant is grammatical
// does not matter for recognising the place.
const KAZAKH_SUFFIXES = (
  'да де та те нда нде дан ден тан тен нан нен ға ге қа ке на не ның нің дың дің тың тің ' +
  'ны ні ды ді ты ті н дағы дегі тағы тегі ндағы ндегі лық лік дық дік тық тік мен бен пен ғы гі'
).split(' ')

/** Russian case forms, for names that decline: "в Уральске", "из Астаны", "в Костанае". */
function russianForms(name: string): string[] {
  const stem = name.slice(0, -1)
  const last = name.at(-1) ?? ''
  // Adjectives: "Рудный" → "в Рудном", "Боровое" → "в Боровом".
  if (/(ый|ий|ое)$/.test(name)) return ['ого', 'ому', 'ом', 'ым'].map((e) => name.slice(0, -2) + e)
  if (last === 'а') return ['ы', 'и', 'е', 'у', 'ой'].map((e) => stem + e)
  if (last === 'я') return ['и', 'е', 'ю', 'ей'].map((e) => stem + e)
  if (last === 'й') return ['я', 'е', 'ю', 'ем'].map((e) => stem + e)
  if (/[бвгджзклмнпрстфхцчшщ]/.test(last)) return ['а', 'е', 'у', 'ом'].map((e) => name + e)
  return []
}

const FORMS = new Map<string, Form[]>()
const NOMINATIVE: string[] = []

function add(key: string, form: Form) {
  if (key.length < 3) return
  const list = FORMS.get(key) ?? []
  if (!list.some((f) => f.place.id === form.place.id && f.lang === form.lang)) list.push(form)
  FORMS.set(key, list)
}

const PLACES: [Names, string[]][] = [
  ...KZ_CITIES.map((c): [Names, string[]] => [c, [...c.also]]),
  ...KZ_TOWNS.map(([id, kk, ru, en, ...also]): [Names, string[]] => [{ id, kk, ru, en }, also]),
]
for (const [place, also] of PLACES) {
  const spellings: [string, Form['lang']][] = [
    [place.kk, 'kk'],
    [place.ru, 'ru'],
    [place.en, 'en'],
    ...also.map((a): [string, Form['lang']] => [a, 'also']),
  ]
  for (const [name, lang] of spellings) {
    const base = skeleton(name)
    add(base, { place, lang, russianCase: false })
    NOMINATIVE.push(base)
    if (!/\p{Script=Cyrillic}/u.test(name)) continue
    const lower = name.toLowerCase()
    for (const suffix of KAZAKH_SUFFIXES) add(skeleton(lower + suffix), { place, lang, russianCase: false })
    for (const form of russianForms(lower)) add(skeleton(form), { place, lang, russianCase: true })
  }
}

/** Optimal string alignment distance, given up past 1: typos of one letter only. */
function withinOne(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false
  let i = 0
  while (i < a.length && a[i] === b[i]) i++
  const rest = (x: string, from: number) => x.slice(from)
  return (
    rest(a, i + 1) === rest(b, i + 1) ||
    rest(a, i + 1) === rest(b, i) ||
    rest(a, i) === rest(b, i + 1) ||
    (a[i] === b[i + 1] && a[i + 1] === b[i] && rest(a, i + 2) === rest(b, i + 2))
  )
}

export type PlaceMatch = {
  id: string
  /** The place's own name, in the script and language the phrase was written in. */
  name: string
  /** Matched a Russian case ending ("Уральске"): only a place after a preposition. */
  russianCase: boolean
}

/**
 * The place a phrase names: any listed spelling, with Kazakh case suffixes or Russian case
 * endings, a one-letter typo in a name of seven letters or more, "г."/"қаласы"/"city" around it.
 */
export function matchPlace(phrase: string): PlaceMatch | undefined {
  const words = phrase
    .toLowerCase()
    .split(/[\s,]+/)
    .map((w) => w.replace(/^[гқ]\.(?=\p{L})/u, ''))
  const key = skeleton(words.filter((w) => !NOISE.has(w) && !NOISE.has(w.replace(/\.$/, ''))).join(''))
  let forms = FORMS.get(key)
  if (!forms && key.length >= 7) {
    const near = NOMINATIVE.find((name) => name.length >= 7 && withinOne(key, name))
    forms = near === undefined ? undefined : FORMS.get(near)
  }
  const first = forms?.[0]
  if (!forms || !first) return undefined
  const latin = /[a-z]/i.test(phrase)
  const kazakh = [...KAZAKH_LETTERS].some((letter) => phrase.includes(letter))
  const has = (lang: Form['lang']) => forms.some((f) => f.lang === lang)
  const lang = latin ? 'en' : kazakh ? 'kk' : has('ru') || !has('kk') ? 'ru' : 'kk'
  return { id: first.place.id, name: first.place[lang], russianCase: forms.every((f) => f.russianCase) }
}

/**
 * The key a city is grouped under in the backlog: the known place's id ("Алма-Ата", "Almaty"
 * and "Алматыда" give `almaty`), or the folded text for a place not in the list.
 */
export function cityKey(name: string): string {
  return matchPlace(name)?.id ?? fold(name)
}

/** The id of a listed place, if `name` is one of its spellings. */
export function knownCityId(name: string): string | undefined {
  return matchPlace(name)?.id
}
