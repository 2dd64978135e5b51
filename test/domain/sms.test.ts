import t from 'tap'
import { cleanText, converse, parseNeeds, readAllAtOnce } from '../../src/domain/sms-conversation.js'
import { detectLanguage, parseCommand } from '../../src/domain/sms-keywords.js'

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
  t.same(readAllAtOnce('+7 701 123 4567 Айгуль Алматы'), {
    relativePhone: '+77011234567',
    relativeName: 'Айгуль',
    city: 'Алматы',
  })
  t.same(readAllAtOnce('Айгуль Усть-Каменогорск 87011234567'), {
    relativePhone: '+77011234567',
    relativeName: 'Айгуль',
    city: 'Усть-Каменогорск',
  })
  t.same(readAllAtOnce('Hello, please help'), {}, 'no phone: no name taken from a greeting')
})

t.test('the conversation asks one thing at a time and completes', async (t) => {
  let turn = converse(null, 'Hi', { language: 'en' })
  t.same(turn.reply, [{ key: 'sms.welcome' }])
  turn = converse(turn.conversation, '8 701 123 45 67', { language: 'en' })
  t.same(turn.reply, [{ key: 'sms.askName' }])
  turn = converse(turn.conversation, 'Dana', { language: 'en' })
  t.same(turn.reply, [{ key: 'sms.askCity' }])
  turn = converse(turn.conversation, 'Astana', { language: 'en' })
  t.same(turn.reply, [{ key: 'sms.askNeeds' }])
  turn = converse(turn.conversation, '0', { language: 'en' })
  t.same(turn.completed, {
    relativePhone: '+77011234567',
    relativeName: 'Dana',
    city: 'Astana',
    flags: { elderly: false, medical: false, children: false, disability: false },
  })
  t.equal(turn.conversation, null)
  t.same(converse(null, 'Hi', { language: 'en', expired: true }).reply, [{ key: 'sms.restart' }, { key: 'sms.askPhone' }])
})
