import { matchPlace } from './city.js'
import { free, nameLike, type Token } from './sms-tokens.js'
import { PLACE_PREPOSITIONS, SELF, SETTLEMENT_ABBREVIATIONS, SETTLEMENT_AFTER, SETTLEMENT_BEFORE } from './sms-words.js'

/** The words for a town around its name ("г. Алматы", "Алматы қаласы", "Almaty city"). */
export const CITY_WORDS = new Set([
  'г',
  'гор',
  'город',
  'городе',
  'города',
  'қ',
  'қала',
  'қаласы',
  'қаласында',
  'city',
  'town',
  'qalasy',
])
const FROM = new Set(['из', 'с', 'со', 'from'])
const REGION = new Set(['обл', 'область', 'области', 'облысы', 'облысында', 'облысының', 'region', 'oblast'])
const DISTRICT = new Set(['район', 'районе', 'ауданы', 'ауданында', 'district', 'обл', 'область', 'области', 'облысы', 'region'])
// A place one comes from ("из Астаны", "Астанадан") is less likely the relative's than one they are in.
const ABLATIVE = /(дан|ден|тан|тен|нан|нен|dan|den|tan|ten|nan|nen)$/u

/** Listed places; the relative's is the first not introduced as the requester's or as "from". */
export function markKnownPlace(tokens: Token[], text: string): string | undefined {
  const found: { from: number; to: number; name: string; score: number }[] = []
  for (let i = 0; i < tokens.length; i++) {
    if (!free(tokens[i]) || CITY_WORDS.has(tokens[i]?.lower ?? '')) continue
    for (const size of [3, 2, 1]) {
      const span = tokens.slice(i, i + size)
      if (span.length < size || !span.every(free)) continue
      if (!span.every((t, k) => k === 0 || /^[\s-]*$/.test(text.slice((span[k - 1] as Token).end, t.start)))) continue
      const match = matchPlace(text.slice(span[0]?.start, span.at(-1)?.end))
      const before = tokens[i - 1]?.lower ?? ''
      if (!match || (match.russianCase && !PLACE_PREPOSITIONS.has(before))) continue
      // "Түркістан облысы": the region named after the city, not the city.
      if (REGION.has(tokens[i + size]?.lower ?? '')) continue
      const self = tokens.slice(Math.max(0, i - 3), i).some((t) => SELF.has(t.lower))
      const from = FROM.has(before) || ABLATIVE.test(span.at(-1)?.lower ?? '')
      found.push({ from: i, to: i + size, name: match.name, score: self ? 2 : from ? 1 : 0 })
      i += size - 1
      break
    }
  }
  for (const f of found) {
    for (let k = f.from; k < f.to; k++) (tokens[k] as Token).role = f.score === 0 ? 'place' : 'noise'
    const before = tokens[f.from - 1]
    if (before && (PLACE_PREPOSITIONS.has(before.lower) || CITY_WORDS.has(before.lower))) before.role ??= 'noise'
    const after = tokens[f.to]
    if (after && CITY_WORDS.has(after.lower)) after.role ??= 'noise'
  }
  const best = found.find((f) => f.score === 0) ?? found.find((f) => f.score === 1)
  if (best) for (let k = best.from; k < best.to; k++) (tokens[k] as Token).role = 'place'
  return best?.name
}

/** A Russian place word in a case form, back to its nominative as best we can ("Узынагаше"). */
function nominativePlace(word: string, after: string): string {
  if (!/\p{Script=Cyrillic}/u.test(word) || !['в', 'во', 'из'].includes(after)) return word
  if (/[аеоя]е$/u.test(word)) return `${word.slice(0, -1)}й`
  if (/[бвгджзклмнпрстфхцчшщ][еау]$/u.test(word)) return word.slice(0, -1)
  return word
}

/** A place not in the list: next to "село"/"ауылы"/"district", or after "в"/"из". */
export function markOtherPlace(tokens: Token[]): string | undefined {
  const take = (list: Token[], text: string) => {
    for (const t of list) t.role = 'place'
    return text
  }
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token
    const next = tokens[i + 1]
    const before = SETTLEMENT_BEFORE.has(t.lower) || (SETTLEMENT_ABBREVIATIONS.has(t.lower) && t.dot)
    if (t.kind === 'word' && before && free(next)) {
      t.role = 'noise'
      const second = tokens[i + 2]
      if (nameLike(second) && second.cap && next.cap) return take([next, second], `${next.text} ${second.text}`)
      return take([next], next.text)
    }
    const previous = tokens[i - 1]
    if (t.kind === 'word' && SETTLEMENT_AFTER.has(t.lower) && free(previous)) {
      t.role = DISTRICT.has(t.lower) ? 'place' : 'noise'
      return take([previous], DISTRICT.has(t.lower) ? `${previous.text} ${t.text}` : previous.text)
    }
  }
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token
    const next = tokens[i + 1]
    // "Ақсу қаласы", "г. Сарыозек": a town by the word for a town.
    if (nameLike(t) && next && CITY_WORDS.has(next.lower) && next.lower !== 'г') {
      next.role = 'noise'
      return take([t], t.text)
    }
    const before = tokens[i - 1]
    if (before && nameLike(t) && t.cap && ['г', 'город', 'city'].includes(before.lower)) {
      before.role = 'noise'
      return take([t], t.text)
    }
  }
  for (let i = 1; i < tokens.length; i++) {
    const t = tokens[i] as Token
    const before = tokens[i - 1] as Token
    if (free(t) && t.cap && ['в', 'во', 'из', 'in'].includes(before.lower) && nameLike(t)) {
      before.role = 'noise'
      return take([t], nominativePlace(t.text, before.lower))
    }
  }
  const region = tokens.findIndex((t, i) => DISTRICT.has(t.lower) && free(tokens[i - 1]))
  if (region > 0)
    return take([tokens[region - 1] as Token, tokens[region] as Token], `${tokens[region - 1]?.text} ${tokens[region]?.text}`)
  return undefined
}

/** "Карагандинская обл.", "Талгарский район": the region around a place, not a name. */
export function markRegions(tokens: Token[]) {
  tokens.forEach((t, i) => {
    const before = tokens[i - 1]
    if (!DISTRICT.has(t.lower) || t.role !== undefined) return
    t.role = 'noise'
    if (free(before)) before.role = 'noise'
  })
}
