/**
 * What a person typed, made safe to keep and show. One place for the rules, used by the API
 * schemas and the form (src/schemas/common.ts) and by the SMS conversation alike.
 */

/**
 * Bidirectional controls (LRM, RLM, ALM, the embeddings and overrides, the isolates). They
 * reorder what a reader sees: U+202E turns "Сауле" and a phone number into something else on
 * a volunteer's screen. Nobody needs them to type a name, a city or a note.
 */
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu

// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/u

/**
 * A letter that shows. Default-ignorable letters (U+3164 HANGUL FILLER, U+FFA0 and the like)
 * are letters to Unicode but print as nothing, so they do not count.
 */
const VISIBLE_LETTER = /(?!\p{Default_Ignorable_Code_Point})\p{L}/u

/** Removes bidirectional controls; everything else (ZWJ inside emoji, ZWNJ in words) stays. */
export function stripBidiControls(text: string): string {
  return text.replace(BIDI_CONTROLS, '')
}

/**
 * True for C0 controls other than tab and newlines, and DEL. U+0000 among them: a PostgreSQL
 * `text` cannot hold it, so such a string must be refused before it reaches a query.
 */
export function hasControlCharacters(text: string): boolean {
  return CONTROL.test(text)
}

/**
 * True when the text holds at least one letter a reader can see, once format characters
 * (zero-width spaces and joiners, bidi controls: \p{Cf}) are set aside. A name of two zero-width
 * spaces, or of combining marks alone, has none.
 */
export function hasVisibleLetter(text: string): boolean {
  return VISIBLE_LETTER.test(text.replace(/\p{Cf}/gu, ''))
}
