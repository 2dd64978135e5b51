import t from 'tap'
import { cityKey } from '../../src/domain/city.js'

t.test('spellings of one city share a key', async (t) => {
  const table: [string, string][] = [
    ['Алматы', 'almaty'],
    ['Алма-Ата', 'almaty'],
    ['almaty', 'almaty'],
    ['Almaty city', 'almaty'],
    ['г. Алматы', 'almaty'],
    ['Нур-Султан', 'astana'],
    ['АСТАНА', 'astana'],
    ['Қарағанды', 'karaganda'],
    ['Караганда', 'karaganda'],
    ['Усть-Каменогорск', 'oskemen'],
    ['Өскемен', 'oskemen'],
    ['Чимкент', 'shymkent'],
  ]
  for (const [name, key] of table) t.equal(cityKey(name), key, name)
})

t.test('an unknown place keeps a folded key of its own', async (t) => {
  t.equal(cityKey('Жаркент'), cityKey('жаркент'))
  t.not(cityKey('Жаркент'), cityKey('Алматы'))
})
