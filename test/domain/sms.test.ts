import { SegmentedMessage } from 'sms-segments-calculator'
import t from 'tap'
import { type MessageKey, message } from '../../src/domain/messages/index.js'
import { LANGUAGES } from '../../src/domain/request-states.js'
import { awaitingNeeds, cleanText, converse, parseNeeds } from '../../src/domain/sms-conversation.js'
import { detectLanguage, parseCommand } from '../../src/domain/sms-keywords.js'
import { readMessage } from '../../src/domain/sms-reading.js'

t.test('keywords in three languages', async (t) => {
  const table: [string, object][] = [
    ['STOP', { kind: 'stop', twilioHandles: true }],
    [' stop ', { kind: 'stop', twilioHandles: true }],
    ['Unsubscribe', { kind: 'stop', twilioHandles: true }],
    ['CANCEL', { kind: 'stop', twilioHandles: true }],
    ['стоп', { kind: 'stop', twilioHandles: false }],
    ['START', { kind: 'start', twilioHandles: true }],
    ['старт', { kind: 'start', twilioHandles: false }],
    ['Помощь!', { kind: 'help' }],
    ['көмек', { kind: 'help' }],
    ['статус', { kind: 'status' }],
    ['КҮЙ', { kind: 'status' }],
    ['cancel k7qm-4xtr', { kind: 'cancel', reference: 'K7QM-4XTR' }],
    ['ОТМЕНА', { kind: 'cancel' }],
    ['бас тарту K7QM4XTR', { kind: 'cancel', reference: 'K7QM4XTR' }],
    ['LANG KK', { kind: 'language', language: 'kk' }],
    ['язык english', { kind: 'language', language: 'en' }],
    ['тіл', { kind: 'language', language: 'kk' }],
    ['Stop calling my mother please', { kind: 'text' }],
    ['8 701 123 45 67', { kind: 'text', text: '8 701 123 45 67' }],
  ]
  for (const [body, command] of table) t.match(parseCommand(body), command, JSON.stringify(body))
})

t.test('language from the letters', async (t) => {
  const table: [string, string | undefined][] = [
    ['Сәлеметсіз бе', 'kk'],
    ['Здравствуйте', 'ru'],
    ['Hello', 'en'],
    ['Salem, anamdy tekserinizshi 87011234567 Almatyda', 'kk'],
    ['Ağam Qonaevte', 'kk'],
    ['Please check on my mother in Almaty', 'en'],
    ['БАС ТАРТУ', 'kk'],
    ['+7 701 123 45 67', undefined],
    ['😀', undefined],
  ]
  for (const [text, language] of table) t.equal(detectLanguage(text), language, text)
})

t.test('answers are read leniently', async (t) => {
  t.same(parseNeeds('1 3'), { elderly: true, medical: false, children: true, disability: false })
  t.same(parseNeeds('2,4'), { elderly: false, medical: true, children: false, disability: true })
  t.same(parseNeeds('жоқ'), { elderly: false, medical: false, children: false, disability: false })
  t.equal(parseNeeds('5'), undefined)
  t.equal(parseNeeds('maybe'), undefined)
  t.equal(cleanText('Бабушка Roza 🌹'), 'Бабушка Roza')
  t.equal(cleanText('🌹🌹'), undefined)
  t.equal(cleanText('x'.repeat(101)), undefined)
  t.match(readMessage('+7 701 123 4567 Айгуль Алматы'), { phone: '+77011234567', name: 'Айгуль', place: 'Алматы' })
  t.match(readMessage('Айгуль Усть-Каменогорск 87011234567'), {
    phone: '+77011234567',
    name: 'Айгуль',
    place: 'Усть-Каменогорск',
  })
  t.same(readMessage('Hello, please help'), { flags: NO_FLAGS }, 'a greeting is no name')
})

const NO_FLAGS = { elderly: false, medical: false, children: false, disability: false }

t.test('a phone and a place are enough: the request is ready at once', async (t) => {
  let turn = converse(null, 'Hi', { language: 'en' })
  t.same(turn.reply, [{ key: 'sms.welcome' }])
  turn = converse(turn.conversation, '8 701 123 45 67', { language: 'en' })
  t.same(turn.reply, [{ key: 'sms.askCity' }], 'no name asked: the volunteer asks it')
  t.notOk(turn.ready)
  turn = converse(turn.conversation, 'Astana', { language: 'en' })
  t.same(turn.ready, { relativePhone: '+77011234567', place: 'Astana', flags: NO_FLAGS })
  t.same(turn.reply, [], 'the service replies with the reference')

  const all = converse(null, 'мама в Уральске, 8 778 123 45 67, Галина Петровна, пожилая', { language: 'ru' })
  t.same(all.ready, {
    relativePhone: '+77781234567',
    place: 'Уральск',
    relativeName: 'Галина Петровна',
    relation: 'мама',
    flags: { ...NO_FLAGS, elderly: true },
  })
})

t.test('what one message says is kept for the next', async (t) => {
  let turn = converse(null, 'Мама Айгуль, Алматы', { language: 'ru' })
  t.same(turn.reply, [{ key: 'sms.askPhone' }], 'a place and a name: only the phone is missing')
  turn = converse(turn.conversation, '87011234567', { language: 'ru' })
  t.match(turn.ready, { relativePhone: '+77011234567', place: 'Алматы', relativeName: 'Айгуль', relation: 'мама' })

  turn = converse(null, '87011234567 Шамалган', { language: 'ru' })
  t.same(turn.reply, [{ key: 'sms.askCity' }], 'an unknown word may be a name')
  turn = converse(turn.conversation, 'Шамалган', { language: 'ru' })
  t.match(turn.ready, { place: 'Шамалган', relativeName: undefined }, 'it was the place')

  turn = converse(null, '87011234567', { language: 'ru' })
  t.same(converse(turn.conversation, '😀😀😀', { language: 'ru' }).reply, [{ key: 'sms.badText', params: { max: 100 } }])
  t.same(converse(turn.conversation, '', { language: 'ru' }).reply, [{ key: 'sms.empty' }, { key: 'sms.askCity' }])
})

t.test('after the request: needs, another request, or where things stand', async (t) => {
  const waiting = awaitingNeeds('ru', { id: '42', reference: 'K7QM4XTR' })
  t.same(converse(waiting, '1 2', { language: 'ru' }), {
    reply: [{ key: 'sms.needsNoted', params: { reference: 'K7QM-4XTR' } }],
    conversation: null,
    needs: { requestId: '42', flags: { ...NO_FLAGS, elderly: true, medical: true } },
  })
  t.match(converse(waiting, 'она лежачая', { language: 'ru' }).needs, { flags: { disability: true } }, 'needs in words')
  t.match(converse(waiting, 'папа 87021234567 Тараз', { language: 'ru' }).ready, { relativePhone: '+77021234567' })
  t.same(converse(waiting, 'спасибо', { language: 'ru', expired: true }), {
    reply: [{ key: 'sms.afterCreated', params: { reference: 'K7QM-4XTR' } }],
    conversation: waiting,
  })
})

t.test('an idle conversation keeps what it knew', async (t) => {
  const idle = converse(null, '8 701 333 44 55', { language: 'ru' }).conversation
  let turn = converse(idle, 'Мама', { language: 'ru', expired: true })
  t.same(turn.reply, [{ key: 'sms.resumed' }, { key: 'sms.askCity' }])
  t.equal(turn.conversation?.draft.relativePhone, '+77013334455')
  turn = converse(idle, 'Шымкент', { language: 'kk', expired: true })
  t.match(turn.ready, { relativePhone: '+77013334455', place: 'Шымкент' })
  t.equal(turn.conversation?.language, 'kk', 'the language of the new message')
  turn = converse(idle, '87021112233', { language: 'ru', expired: true })
  t.same(turn.reply, [{ key: 'sms.askCity' }], 'another number after a while: a new request, no "we kept"')
  t.equal(turn.conversation?.draft.relativePhone, '+77021112233')
})

t.test('a conversation stored by the version before is carried on', async (t) => {
  const old = {
    language: 'ru' as const,
    step: 'needs' as const,
    draft: { relativePhone: '+77011234567', relativeName: 'Дана', city: 'Алматы' },
  }
  t.match(converse(old, '2', { language: 'ru' }).ready, { place: 'Алматы', relativeName: 'Дана', flags: { medical: true } })
  const askedName = { language: 'ru' as const, step: 'name' as 'phone', draft: { relativePhone: '+77011234567' } }
  const turn = converse(askedName, 'Галина', { language: 'ru' })
  t.same(turn.reply, [{ key: 'sms.askCity' }], 'the answer to the old name question is the name')
  t.equal(turn.conversation?.draft.relativeName, 'Галина')
})

t.test('every reply the conversation puts together fits two segments', async (t) => {
  const params = { reference: 'K7QM-4XTR', days: 365, max: 100 }
  const pairs: MessageKey[][] = [
    ['sms.resumed', 'sms.askCity'],
    ['sms.resumed', 'sms.askPhone'],
    ['sms.resumed', 'sms.badPhone'],
    ['sms.resumed', 'sms.badText'],
    ['sms.empty', 'sms.welcome'],
    ['sms.empty', 'sms.askPhone'],
    ['sms.empty', 'sms.askCity'],
  ]
  for (const language of LANGUAGES) {
    for (const pair of pairs) {
      const text = pair.map((key) => message(language, key, params)).join(' ')
      t.ok(new SegmentedMessage(text).segmentsCount <= 2, `${language} ${pair.join(' + ')}: ${text.length} chars`)
    }
  }
})
