import type { Language } from './request-states.js'

export type Command =
  /** `twilioHandles`: Twilio itself answers and blocks on these words; we must not reply. */
  | { kind: 'stop'; twilioHandles: boolean }
  | { kind: 'start'; twilioHandles: boolean }
  | { kind: 'help' }
  | { kind: 'status' }
  | { kind: 'cancel'; reference?: string }
  | { kind: 'language'; language: Language }
  | { kind: 'text'; text: string }

// Twilio's own opt-out and opt-in words (whole message, any case). Note CANCEL is one of them:
// a bare CANCEL unsubscribes at Twilio, so we treat it as STOP; "CANCEL <code>" cancels a request.
const TWILIO_STOP = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE'])
const TWILIO_START = new Set(['START', 'UNSTOP', 'YES'])
const OUR_STOP = new Set(['СТОП', 'ОТПИСАТЬСЯ', 'ОТПИСКА'])
const OUR_START = new Set(['СТАРТ', 'БАСТАУ'])
const HELP = new Set(['HELP', 'INFO', 'ПОМОЩЬ', 'СПРАВКА', 'КӨМЕК', 'АНЫҚТАМА'])
const STATUS = new Set(['STATUS', 'СТАТУС', 'КҮЙ'])
const CANCEL = ['CANCEL', 'ОТМЕНА', 'ОТМЕНИТЬ', 'БАС ТАРТУ']
const LANGUAGE: Record<string, Language> = { LANG: 'en', LANGUAGE: 'en', ЯЗЫК: 'ru', ТІЛ: 'kk' }
const LANGUAGE_NAMES: Record<string, Language> = {
  KK: 'kk',
  KZ: 'kk',
  ҚАЗ: 'kk',
  КАЗ: 'kk',
  ҚАЗАҚША: 'kk',
  КАЗАХСКИЙ: 'kk',
  KAZAKH: 'kk',
  RU: 'ru',
  РУС: 'ru',
  РУССКИЙ: 'ru',
  ОРЫСША: 'ru',
  RUSSIAN: 'ru',
  EN: 'en',
  ENG: 'en',
  ENGLISH: 'en',
  АНГЛИЙСКИЙ: 'en',
  АҒЫЛШЫНША: 'en',
}

/** Reads a message as a keyword command, or as plain text for the conversation. */
export function parseCommand(body: string): Command {
  const words = body
    .normalize('NFC')
    .toUpperCase()
    .replace(/[.!?,;:"'«»()]/g, ' ')
    .split(/\s+/)
    .filter(Boolean)
  const whole = words.join(' ')
  if (TWILIO_STOP.has(whole)) return { kind: 'stop', twilioHandles: true }
  if (OUR_STOP.has(whole)) return { kind: 'stop', twilioHandles: false }
  if (TWILIO_START.has(whole)) return { kind: 'start', twilioHandles: true }
  if (OUR_START.has(whole)) return { kind: 'start', twilioHandles: false }
  if (HELP.has(whole)) return { kind: 'help' }
  if (STATUS.has(whole)) return { kind: 'status' }
  for (const word of CANCEL) {
    if (whole === word) return { kind: 'cancel' }
    if (whole.startsWith(`${word} `)) return { kind: 'cancel', reference: whole.slice(word.length + 1).replace(/\s/g, '') }
  }
  const first = words[0] ?? ''
  const language = LANGUAGE[first]
  if (language && words.length <= 2) return { kind: 'language', language: LANGUAGE_NAMES[words[1] ?? ''] ?? language }
  return { kind: 'text', text: body.trim() }
}

// Keywords that name their language though written in plain Cyrillic.
const KAZAKH_KEYWORDS = /^(БАС ТАРТУ|БАСТАУ|КӨМЕК|КҮЙ|АНЫҚТАМА|ТІЛ)(\s|$)/u

const KAZAKH_ONLY = /[әғқңөұүһіӘҒҚҢӨҰҮҺІ]/
const CYRILLIC = /[\u0400-\u04FF]/
const LATIN = /[A-Za-z]/

// Kazakh typed in Latin letters (an old phone, a foreign keyboard): its own letters, or words
// no English text has.
const KAZAKH_LATIN =
  /[äöüğışñū]|\b(salem|salemetsiz\w*|rahmet|raqmet|otinem\w*|tekser\w*|turady|habarlas\w*|qalas\w*|kalasy\w*|anam\w*|akem\w*|ajem\w*|azhem\w*|apam\w*|agam\w*|inim\w*|ulym|qyzym|kyzym|nomeri)\b/i

/** Kazakh (in either script) → kk, other Cyrillic → ru, Latin → en; nothing to go on → undefined. */
export function detectLanguage(text: string): Language | undefined {
  if (KAZAKH_ONLY.test(text) || KAZAKH_KEYWORDS.test(text.trim().toUpperCase())) return 'kk'
  if (CYRILLIC.test(text)) return 'ru'
  if (KAZAKH_LATIN.test(text)) return 'kk'
  if (LATIN.test(text)) return 'en'
  return undefined
}
