import { SegmentedMessage } from 'sms-segments-calculator'
import t from 'tap'
import { CATALOGUE, message } from '../../src/domain/messages/index.js'
import { LANGUAGES, REQUEST_STATES } from '../../src/domain/request-states.js'

// The longest values each placeholder takes: a volunteer's message is at most 120 characters.
const PARAMS = { reference: 'K7QM-4XTR', days: 30, max: 100, state: 'ерікті қоңырау шалуда', message: 'ж'.repeat(120) }

t.test('every text exists in kk, ru and en, non-empty, with the same placeholders', async (t) => {
  const keys = Object.keys(CATALOGUE.en).sort()
  for (const language of LANGUAGES) {
    t.same(Object.keys(CATALOGUE[language]).sort(), keys, `${language} has exactly the English keys`)
    for (const key of keys) {
      const text = CATALOGUE[language][key as keyof typeof CATALOGUE.en]
      t.ok(text.trim().length > 0, `${language} ${key} is not empty`)
      const placeholders = (s: string) => [...s.matchAll(/\{(\w+)/g)].map((m) => m[1]).sort()
      t.same(placeholders(text), placeholders(CATALOGUE.en[key as keyof typeof CATALOGUE.en]), `${language} ${key} placeholders`)
    }
  }
  for (const state of REQUEST_STATES) t.ok(`state.${state}` in CATALOGUE.en, `state ${state} has words`)
})

t.test('every SMS to a requester fits in two segments', async (t) => {
  for (const language of LANGUAGES) {
    for (const key of Object.keys(CATALOGUE.en) as (keyof typeof CATALOGUE.en)[]) {
      if (!key.startsWith('sms.') && !key.startsWith('notify.')) continue
      const text = message(language, key, PARAMS)
      const segments = new SegmentedMessage(text).segmentsCount
      t.ok(segments <= 2, `${language} ${key}: ${segments} segments, ${text.length} chars`)
    }
  }
})

t.test('plurals follow each language', async (t) => {
  t.match(message('ru', 'sms.created', { reference: 'X', days: 1 }), '1 день')
  t.match(message('ru', 'sms.created', { reference: 'X', days: 3 }), '3 дня')
  t.match(message('ru', 'sms.created', { reference: 'X', days: 30 }), '30 дней')
  t.match(message('en', 'sms.created', { reference: 'X', days: 1 }), '1 day.')
  t.match(message('en', 'sms.created', { reference: 'X', days: 30 }), '30 days')
  t.match(message('kk', 'sms.created', { reference: 'X', days: 30 }), '30 күн')
})

t.test('Kazakh and Russian texts are in Cyrillic, not Latin look-alikes', async (t) => {
  for (const language of ['kk', 'ru'] as const) {
    for (const [key, text] of Object.entries(CATALOGUE[language])) {
      // A Latin letter inside a Cyrillic word is a typo that breaks search and TTS.
      t.notMatch(text, /[а-яәғқңөұүһі][a-z]|[a-z][а-яәғқңөұүһі]/i, `${language} ${key}`)
    }
  }
})
