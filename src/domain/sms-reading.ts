import { skeleton } from './city.js'
import type { Flags } from './priority.js'
import { markKnownPlace, markOtherPlace, markRegions } from './sms-places.js'
import { findAddress, free, type Token, takePhones, tokenise } from './sms-tokens.js'
import {
  AGE_BEFORE,
  AGE_WORDS,
  BIRTH_WORDS,
  CHILD_AGE,
  ELDERLY_AGE,
  FILLERS,
  FLAG_PHRASES,
  FLAG_STEMS,
  relationOf,
  SELF,
  TIME_WORDS,
} from './sms-words.js'

/** What one message says about the relative; every field optional but the flags. */
export type Reading = {
  phone?: string
  altPhone?: string
  /** A run of digits that looks like a phone number but is not one we can call. */
  badPhone?: boolean
  name?: string
  relation?: string
  /** A listed place's own name, or the words typed for a place not in the list. */
  place?: string
  address?: string
  flags: Flags
}

const VERB_LIKE = /(ает|яет|ует|ит|ют|ят|ться|ть|йды|иды|ады|еді|ing)$/u

const words = (tokens: Token[]) => tokens.filter((t) => t.kind === 'word')
function markAges(tokens: Token[], flags: Flags) {
  const thisYear = new Date().getFullYear()
  tokens.forEach((t, i) => {
    // "1940 г.р.", "born 1950": a year of birth gives the age.
    const year = Number(t.text)
    if (t.kind === 'num' && year > 1900 && year <= thisYear) {
      const after = tokens.slice(i + 1, i + 5).filter((n) => n.text !== '.')
      const birth = BIRTH_WORDS.has(after[0]?.lower ?? '') || tokens[i - 1]?.lower === 'born'
      if (!birth) return
      t.role = 'age'
      for (const n of tokens.slice(i + 1, i + 6))
        if (n.text === '.' || BIRTH_WORDS.has(n.lower)) n.role = 'age'
        else break
      if (thisYear - year >= ELDERLY_AGE) flags.elderly = true
      return
    }
    const next = tokens[i + 1]
    if (t.kind !== 'num' || t.role !== undefined) return
    if (next && TIME_WORDS.has(next.lower)) t.role = 'noise'
    const after = next !== undefined && AGE_WORDS.has(next.lower)
    if (!after && !AGE_BEFORE.has(tokens[i - 1]?.lower ?? '')) return
    t.role = 'age'
    if (after) next.role = 'age'
    if (after && tokens[i + 2]?.lower === 'old') (tokens[i + 2] as Token).role = 'age'
    if (Number(t.text) >= ELDERLY_AGE && Number(t.text) < 130) flags.elderly = true
    if (Number(t.text) < CHILD_AGE && after) flags.children = true
  })
}

const CONNECTORS = new Set(['и', 'and', '&', 'мен', 'және', ','])

/** The relation as written, in the nominative: "маму" → "мама", "анамды" → "анам", "Mom" → "mom". */
function markRelation(tokens: Token[]): { text: string; female: boolean; oblique: boolean } | undefined {
  let result: { text: string; female: boolean; oblique: boolean } | undefined
  let last = -1
  tokens.forEach((t, i) => {
    if (!free(t)) return
    const relation = relationOf(t.text)
    if (!relation) return
    t.role = 'relation'
    const typed = t.text.toLowerCase().replace(/['’]s$/, '')
    const wanted = skeleton(relation.nominative)
    let text = relation.nominative
    for (let k = typed.length; k > 0; k--) {
      if (skeleton(typed.slice(0, k)) !== wanted) continue
      text = typed.slice(0, k)
      break
    }
    // "мама и папа", "анам мен әкем": one relation; others further on are left alone.
    const between = tokens[i - 1]
    if (!result) result = { text, female: relation.female, oblique: text !== typed }
    else if (last === i - 1) result.text += ` ${text}`
    else if (last === i - 2 && between && CONNECTORS.has(between.lower)) {
      result.text += `${between.text === ',' ? ',' : ` ${between.text}`} ${text}`
      between.role = 'relation'
    } else return
    last = i
  })
  return result
}

/**
 * "я Асель", "меня зовут Асель", "my name is Asel", "Я Айдана, дочь": the requester's own name
 * (and their own relation to the relative), not the relative's.
 */
function markSelf(tokens: Token[]) {
  tokens.forEach((t, i) => {
    if (!SELF.has(t.lower) && !['атым', 'есімім'].includes(t.lower) && !(t.lower === 'name' && tokens[i - 1]?.lower === 'my'))
      return
    let k = i + 1
    while (tokens[k] && ['зовут', 'is', 'am', 'это'].includes(tokens[k]?.lower ?? '')) k++
    for (let n = 0; n < 2 && free(tokens[k]) && tokens[k]?.cap && !relationOf(tokens[k]?.text ?? ''); n++, k++)
      (tokens[k] as Token).role = 'self'
    if (tokens[k]?.text === ',') k++
    if (free(tokens[k]) && relationOf(tokens[k]?.text ?? '')) (tokens[k] as Token).role = 'self'
  })
}

function markFlags(tokens: Token[], flags: Flags) {
  const list = words(tokens)
  for (const [phrase, flag] of FLAG_PHRASES) {
    const parts = phrase.split(' ')
    for (let i = 0; i + parts.length <= list.length; i++) {
      const span = list.slice(i, i + parts.length)
      if (!span.every((w, k) => w.lower === parts[k] && w.role === undefined)) continue
      for (const w of span) w.role = 'flag'
      flags[flag] = true
    }
  }
  for (const t of list) {
    if (t.role !== undefined) continue
    for (const [flag, stems] of Object.entries(FLAG_STEMS) as [keyof Flags, string[]][]) {
      if (!stems.some((stem) => t.lower.startsWith(stem))) continue
      t.role = 'flag'
      flags[flag] = true
    }
  }
}

/** Russian names follow the relation's case: "маму Галину Петровну" → "Галина Петровна". */
function nominativeName(word: string, relation: { female: boolean; oblique: boolean } | undefined): string {
  if (!relation?.oblique || !/^\p{Script=Cyrillic}{4,}$/u.test(word) || /[әғқңөұүһі]/iu.test(word)) return word
  if (relation.female) return word.replace(/у$/u, 'а').replace(/ю$/u, 'я').replace(/ы$/u, 'а')
  return word
    .replace(/([бвгджзклмнпрстфхцчшщ])а$/u, '$1')
    .replace(/([аеиоу])я$/u, '$1й')
    .replace(/у$/u, 'а')
}

/** The words left once everything else is read: the first group that looks like a name. */
function nameGroups(tokens: Token[]): Token[][] {
  const groups: Token[][] = []
  let current: Token[] = []
  tokens.forEach((t, i) => {
    const initial = t.text === '.' && tokens[i - 1]?.text.length === 1 && current.length > 0
    if (free(t) && !FILLERS.has(t.lower)) current.push(t)
    else if (!initial) {
      if (current.length) groups.push(current)
      current = []
    }
  })
  if (current.length) groups.push(current)
  return groups.filter((g) => g.some((t) => t.text.length > 1))
}

/**
 * A writer who capitalises names mid-sentence ("мама, Кызылорда") writes lower-case words that
 * are no names ("нужен", "дома"); one who writes all in lower case may write names so too.
 */
function capitalises(tokens: Token[]): boolean {
  return tokens.some((t, i) => t.kind === 'word' && t.cap && i > 0 && !['.', '!', '?', '\n'].includes(tokens[i - 1]?.text ?? ''))
}

function chooseName(groups: Token[][], lowerCaseNames: boolean): Token[] | undefined {
  const capital = groups.find((g) => g.some((t) => t.cap))
  if (capital) {
    // From the first capitalised word, up to four words; a lower-case word only between two
    // capitalised ones ("Руслан служит" is a name and a verb).
    const start = capital.findIndex((t) => t.cap)
    const run = capital.slice(start, start + 4)
    const end = run.findIndex((t, k) => !t.cap && !(run[k + 1]?.cap && !VERB_LIKE.test(t.lower)))
    return end < 0 ? run : run.slice(0, end)
  }
  const plain = groups[0]
  return lowerCaseNames && plain && plain.length <= 3 && !plain.some((t) => VERB_LIKE.test(t.lower)) ? plain : undefined
}

/**
 * Reads a message as a requester writes it: "мама в Уральске, 8 778 123 45 67, Галина Петровна",
 * "Проверьте пожалуйста маму Айгуль Сериковна мкр Аксай- д.", "Anam 87011234567 Almatyda".
 * With `placeAnswer` (the message answers "which city or village?"), words that name no listed
 * place are taken as the place rather than as a name.
 */
export function readMessage(message: string, options: { placeAnswer?: boolean } = {}): Reading {
  const flags: Flags = { elderly: false, medical: false, children: false, disability: false }
  const normal = message
    .normalize('NFC')
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/\by\.\s?o\b\.?/gi, 'yo')
  const { text, phones, bad } = takePhones(normal)
  const tokens = tokenise(text)
  markAges(tokens, flags)
  let place = markKnownPlace(tokens, text)
  const address = findAddress(tokens, text)
  place ??= markOtherPlace(tokens)
  markRegions(tokens)
  markSelf(tokens)
  const relation = markRelation(tokens)
  markFlags(tokens, flags)
  const groups = nameGroups(tokens)
  if (!place && options.placeAnswer && groups.length > 0) {
    const last = groups.pop() as Token[]
    place = last.map((t) => t.text).join(' ')
  }
  const chosen = chooseName(groups, !capitalises(tokens))
  // "проверьте Иванову Марию Петровну": every word in the accusative is a woman's name so.
  const accusative = chosen?.every((t) => /^\p{Script=Cyrillic}{3,}[ую]$/u.test(t.text))
  const nameCase = relation?.oblique ? relation : accusative ? { female: true, oblique: true } : undefined
  const name = chosen?.map((t) => nominativeName(t.text, nameCase)).join(' ')
  const reading: Reading = { flags }
  if (phones[0]) reading.phone = phones[0]
  if (phones[1]) reading.altPhone = phones[1]
  if (bad) reading.badPhone = true
  if (name) reading.name = name
  if (relation) reading.relation = relation.text
  if (place) reading.place = place
  if (address) reading.address = address
  return reading
}
