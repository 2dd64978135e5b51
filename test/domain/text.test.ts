import t from 'tap'
import { cleanText } from '../../src/domain/sms-conversation.js'
import { hasControlCharacters, hasVisibleLetter, stripBidiControls } from '../../src/domain/text.js'
import { queryInt, requiredText, text } from '../../src/schemas/common.js'

const ZWSP = '\u200B'
const ZWJ = '\u200D'
const RLO = '\u202E'

t.test('bidi controls are stripped; other characters stay', async (t) => {
  const table: [string, string][] = [
    [`${RLO}Сауле`, 'Сауле'],
    ['a\u202Ab\u202Bc\u202Cd\u202De', 'abcde'],
    ['\u2066Алматы\u2069', 'Алматы'],
    ['\u2067x\u2068y', 'xy'],
    ['\u200EJohn\u200F', 'John'],
    ['\u061Cمريم', 'مريم'],
    ['Сәуле Нұрланова', 'Сәуле Нұрланова'],
    ['ҒҚҢӨҰҮҺІ әғқңөұүһі', 'ҒҚҢӨҰҮҺІ әғқңөұүһі'],
    [`👨${ZWJ}👩${ZWJ}👧`, `👨${ZWJ}👩${ZWJ}👧`],
    ['שלום', 'שלום'],
    ['', ''],
  ]
  for (const [input, expected] of table) t.equal(stripBidiControls(input), expected, JSON.stringify(input))
})

t.test('a visible letter is needed', async (t) => {
  const table: [string, boolean][] = [
    ['Айгуль', true],
    ['Ә', true],
    ['a', true],
    ['李', true],
    ['مريم', true],
    [`${ZWSP}${ZWSP}`, false],
    [`${RLO}${ZWSP}`, false],
    ['\u3164', false],
    ['\uFFA0\u115F', false],
    ['\u0301\u0301', false],
    ['123', false],
    ['🙂', false],
    [`👨${ZWJ}👩`, false],
    ['', false],
    [`${ZWSP}Ж${ZWSP}`, true],
  ]
  for (const [input, expected] of table) t.equal(hasVisibleLetter(input), expected, JSON.stringify(input))
})

t.test('control characters, NUL among them, are found; tab and newlines are not', async (t) => {
  const table: [string, boolean][] = [
    ['a\u0000b', true],
    ['\u0000', true],
    ['\u001F', true],
    ['\u007F', true],
    ['line\nnext\r\n\ttab', false],
    ['Алматы', false],
  ]
  for (const [input, expected] of table) t.equal(hasControlCharacters(input), expected, JSON.stringify(input))
})

t.test('API and form names: requiredText', async (t) => {
  const name = requiredText(100)
  const table: [string, string | null][] = [
    ['Сауле Нурланова', 'Сауле Нурланова'],
    [`  ${RLO}Айгуль  `, 'Айгуль'],
    [`${RLO} Айгуль`, 'Айгуль'],
    ['Жанұзақ', 'Жанұзақ'],
    [`${ZWSP}${ZWSP}`, null],
    [RLO, null],
    ['', null],
    ['   ', null],
    ['\u3164', null],
    ['a\u0000b', null],
    ['x'.repeat(101), null],
  ]
  for (const [input, expected] of table) {
    const parsed = name.safeParse(input)
    if (expected === null) t.notOk(parsed.success, `${JSON.stringify(input)} is refused`)
    else t.equal(parsed.data, expected, JSON.stringify(input))
  }
  t.same(
    name.safeParse('').error?.issues.map((i) => i.message),
    ['is required'],
    'empty reads "is required", as the form expects',
  )
  t.same(
    name.safeParse(`${ZWSP}${ZWSP}`).error?.issues.map((i) => i.message),
    ['must contain a letter'],
  )
})

t.test('notes and addresses: text strips bidi controls but needs no letter', async (t) => {
  const notes = text(1000)
  t.equal(notes.parse(`3 этаж ${RLO}кв. 12`), '3 этаж кв. 12')
  t.equal(notes.parse('🙂'), '🙂')
  t.equal(notes.parse(''), '')
  t.notOk(notes.safeParse('a\u0000').success, 'NUL is refused')
})

t.test('SMS names and cities follow the same rule', async (t) => {
  const table: [string, string | undefined][] = [
    ['Айгуль', 'Айгуль'],
    [`${RLO}Айгуль`, 'Айгуль'],
    [`${ZWSP}${ZWSP}`, undefined],
    ['\u3164', undefined],
    [`${RLO}${ZWSP}`, undefined],
  ]
  for (const [input, expected] of table) t.equal(cleanText(input), expected, JSON.stringify(input))
})

t.test('integers from query strings stay within PostgreSQL integer', async (t) => {
  const minutes = queryInt(0)
  const table: [string, number | null][] = [
    ['0', 0],
    ['2147483647', 2147483647],
    ['2147483648', null],
    ['99999999999999999999', null],
    ['-1', null],
    ['1.5', null],
    ['abc', null],
    ['Infinity', null],
  ]
  for (const [input, expected] of table) {
    const parsed = minutes.safeParse(input)
    if (expected === null) t.notOk(parsed.success, `${input} is refused`)
    else t.equal(parsed.data, expected, input)
  }
})
