import t from 'tap'
import { formatReference, newReference, parseReference, REFERENCE_ALPHABET } from '../../src/domain/reference.js'

t.test('references use an alphabet without look-alikes', async (t) => {
  for (const ch of '01OIL') t.notOk(REFERENCE_ALPHABET.includes(ch), `no ${ch}`)
  const refs = Array.from({ length: 2000 }, newReference)
  t.same(
    refs.filter((ref) => !/^[2-9A-HJKMNP-Z]{8}$/.test(ref)),
    [],
    'every reference is 8 characters of the alphabet',
  )
  t.equal(new Set(refs).size, 2000, 'no repeats in 2000 draws')
})

t.test('parses what people type back', async (t) => {
  const table: [string, string | null][] = [
    ['K7QM4XTR', 'K7QM4XTR'],
    ['k7qm-4xtr', 'K7QM4XTR'],
    [' K7QM 4XTR ', 'K7QM4XTR'],
    ['K7QM4XT', null],
    ['K7QM4XTRR', null],
    ['K0QM4XTR', null],
    ['KIQM4XTR', null],
    ['', null],
    ['../../etc', null],
  ]
  for (const [input, expected] of table) t.equal(parseReference(input), expected, JSON.stringify(input))
  t.equal(formatReference('K7QM4XTR'), 'K7QM-4XTR')
})
