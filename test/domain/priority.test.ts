import t from 'tap'
import { NORMAL_PRIORITY, priorityFromFlags } from '../../src/domain/priority.js'

const none = { elderly: false, medical: false, children: false, disability: false }

t.test('flags raise priority (lower number = sooner)', async (t) => {
  const table: [Partial<typeof none>, number][] = [
    [{}, NORMAL_PRIORITY],
    [{ children: true }, 5],
    [{ elderly: true }, 4],
    [{ disability: true }, 3],
    [{ medical: true }, 2],
    [{ elderly: true, children: true }, 3],
    [{ medical: true, elderly: true }, 1],
    [{ medical: true, elderly: true, children: true, disability: true }, 1],
  ]
  for (const [flags, expected] of table) t.equal(priorityFromFlags({ ...none, ...flags }), expected, JSON.stringify(flags))
})
