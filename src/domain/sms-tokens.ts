import { normalisePhone } from './phone.js'
import { ADDRESS_AFTER, ADDRESS_BEFORE, FILLERS, relationOf } from './sms-words.js'

/** What a token was read as; a token without a role may still be part of the name. */
export type Role = 'place' | 'address' | 'relation' | 'self' | 'flag' | 'age' | 'noise'

export type Token = {
  text: string
  /** Lower case, "ё" as "е": how the word lists are written. */
  lower: string
  kind: 'word' | 'num' | 'punct' | 'phone'
  start: number
  end: number
  /** Starts with a capital letter. */
  cap: boolean
  /** A dot follows at once ("г.", "ул.", "с."). */
  dot: boolean
  role?: Role
}

/** U+E000 (private use) stands where a phone number was taken out. */
const TOKEN = /\uE000|ш\/а|[\p{L}\p{M}]+(?:['’-][\p{L}\p{M}]+)*|\d+(?:[/-]\d+)*\p{L}?(?!\p{L})|[,;:!?()\n.&]/gu

export function tokenise(text: string): Token[] {
  return [...text.matchAll(TOKEN)].map((m) => {
    const raw = m[0]
    const start = m.index ?? 0
    const end = start + raw.length
    const kind = raw === '\uE000' ? 'phone' : /^\p{L}/u.test(raw) ? 'word' : /^\d/.test(raw) ? 'num' : 'punct'
    return {
      text: raw,
      lower: raw.toLowerCase().replace(/ё/g, 'е'),
      kind,
      start,
      end,
      cap: /^\p{Lu}/u.test(raw),
      dot: text[end] === '.',
      role: undefined,
    }
  })
}

/** A token nothing has claimed yet. */
const unread = (t: Token | undefined): t is Token => t !== undefined && t.role === undefined
/** A word nothing has claimed yet. */
export const free = (t: Token | undefined): t is Token => unread(t) && t.kind === 'word'
/** A free word that is no relation and no filler: a name, a street, a place. */
export const nameLike = (t: Token | undefined): t is Token => free(t) && !relationOf(t.text) && !FILLERS.has(t.lower)

const isNumber = (t: Token | undefined) => unread(t) && t.kind === 'num'
const isAfter = (t: Token | undefined) => free(t) && t.kind === 'word' && ADDRESS_AFTER.has(t.lower)
/** "д" is a house only as "д." or before a number; the other markers stand alone. */
const isBefore = (t: Token | undefined, next: Token | undefined) =>
  free(t) && t.kind === 'word' && ADDRESS_BEFORE.has(t.lower) && (t.lower !== 'д' || t.dot || isNumber(next))

function leadsIn(tokens: Token[], k: number): boolean {
  const t = tokens[k]
  const next = tokens[k + 1]
  return isBefore(t, next) || isNumber(t) || isAfter(t) || (nameLike(t) && (isNumber(next) || isAfter(next)))
}

function addressStart(tokens: Token[]): number {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]
    // A marker that may stand either side ("мкр Самал", "Самал мкр 5"): before a word it leads.
    const leads = isBefore(t, tokens[i + 1]) && !(isAfter(t) && !nameLike(tokens[i + 1]) && nameLike(tokens[i - 1]))
    // "14 мкр": the number before a microdistrict belongs to it.
    if (leads) return isNumber(tokens[i - 1]) && t?.lower === 'мкр' ? i - 1 : i
    if (isAfter(t) && nameLike(tokens[i - 1])) {
      const street = tokens[i - 1] as Token
      const first = !street.cap && nameLike(tokens[i - 2]) && tokens[i - 2]?.cap ? i - 2 : i - 1
      return isNumber(tokens[first - 1]) ? first - 1 : first
    }
    // "Абая 15", and "Толе би 55" / "Абылай хана 10" with the title in lower case.
    if (nameLike(t) && isNumber(tokens[i + 1])) {
      if (t.cap) return i
      if (nameLike(tokens[i - 1]) && tokens[i - 1]?.cap) return i - 1
    }
  }
  return -1
}

/**
 * The address part of a message ("мкр Аксай-4, д 12, кв 5", "ул. Абая 15", "Абай көшесі 10"):
 * from a street, microdistrict or house marker (or a street name and a house number) for as long
 * as markers, numbers and a street's one or two words follow. Its tokens are marked as read.
 */
export function findAddress(tokens: Token[], text: string): string | undefined {
  const start = addressStart(tokens)
  if (start < 0) return undefined
  let end = start
  let words = 0
  let afterMarker = true
  for (let k = start; k < tokens.length; k++) {
    const t = tokens[k] as Token
    const next = tokens[k + 1]
    if (!unread(t) || t.kind === 'phone') break
    if (isBefore(t, next) || isAfter(t)) {
      afterMarker = true
      words = 0
    } else if (t.kind === 'num') {
      if (t.text.length > 8) break
      afterMarker = false
    } else if (t.kind === 'word') {
      const leads = isNumber(next) || isAfter(next)
      const street = afterMarker && (words === 0 || (words === 1 && !t.cap))
      if (!(k === start || leads || street)) break
      words++
    } else if (t.text === '.' && (isBefore(tokens[k - 1], t) || isAfter(tokens[k - 1]))) {
      continue
    } else if ((t.text === ',' || t.text === '.') && leadsIn(tokens, k + 1)) {
      continue
    } else break
    end = k
  }
  for (let k = start; k <= end; k++) (tokens[k] as Token).role = 'address'
  const last = tokens[end] as Token
  return text
    .slice((tokens[start] as Token).start, last.end + (last.dot && last.kind === 'word' ? 1 : 0))
    .replace(/\s+/g, ' ')
    .trim()
}

const RUN = /\+?\d[\d\s().-]*\d/g
// "мой номер 8 707 …": the requester's own number, not the relative's.
const OWN_NUMBER = /(?:^|[\s,.:;])(?:мой|my|менің)(?:\s+(?:номер|тел\.?|телефон|number|phone|нөмірім|нөмір))?\s*[:-]?\s*$/iu

/**
 * Phones in order of appearance, each replaced by a marker so the words around it stay apart.
 * Digits split by spaces, dashes or brackets are joined until they make a valid number; two
 * numbers in a row ("8701… 8702…", "… или …") come out as two.
 */
export function takePhones(text: string): { text: string; phones: string[]; bad: boolean } {
  const phones: string[] = []
  let bad = false
  const out = text.replace(RUN, (run: string, offset: number) => {
    const chunks = [...run.matchAll(/\d+/g)].map((m) => ({ digits: m[0], at: m.index ?? 0 }))
    let result = ''
    let copied = 0
    let loose = 0
    for (let i = 0; i < chunks.length; ) {
      let found = -1
      let digits = ''
      for (let j = i; j < chunks.length && digits.length < 15; j++) {
        digits += chunks[j]?.digits
        const plus = i === 0 && run.startsWith('+') ? '+' : ''
        if (digits.length >= 10 && normalisePhone(plus + digits).ok) found = j
      }
      const first = chunks[i] as { digits: string; at: number }
      if (found < 0) {
        loose += first.digits.length
        if (loose >= 7) bad = true
        i++
        continue
      }
      const last = chunks[found] as { digits: string; at: number }
      const plus = i === 0 && run.startsWith('+') ? '+' : ''
      const phone = normalisePhone(
        plus +
          chunks
            .slice(i, found + 1)
            .map((c) => c.digits)
            .join(''),
      )
      const own = OWN_NUMBER.test(text.slice(Math.max(0, offset + first.at - 30), offset + first.at))
      if (phone.ok && !own && !phones.includes(phone.e164)) phones.push(phone.e164)
      result += `${run.slice(copied, first.at)} \uE000 `
      copied = last.at + last.digits.length
      loose = 0
      i = found + 1
    }
    return result + run.slice(copied)
  })
  return { text: out, phones, bad: bad && phones.length === 0 }
}
