import t from 'tap'
import { scrub } from '../src/logger.js'
import { build, logCollector, requestBody } from './helper.js'

t.test('no phone, name, address or note reaches the log', async (t) => {
  const logs = logCollector()
  const { app } = await build(t, { LOG_LEVEL: 'trace' }, { logStream: logs.stream })
  const body = requestBody({
    requester: { name: 'Зарина Qwertyuiop', phone: '+7 701 987 65 43' },
    relative: {
      name: 'Бибигуль Asdfghjkl',
      phone: '8 702 246 80 13',
      address: 'Абая 150, кв 7 Zxcvbnm',
      notes: 'Mnbvcxz сердце',
    },
  })
  const created = await app.inject({ method: 'POST', url: '/api/v1/requests', payload: body })
  t.equal(created.statusCode, 201)
  const { reference } = created.json()
  await app.inject({ method: 'GET', url: `/api/v1/requests/${reference}?phone=%2B77019876543` })
  await app.inject({ method: 'GET', url: `/api/v1/requests/${reference}?phone=87022468013` })
  await app.inject({ method: 'POST', url: '/api/v1/requests', payload: { ...body, consent: false } })
  await app.inject({
    method: 'POST',
    url: '/api/v1/requests',
    payload: '{"requester":{"name":"Qwertyuiop","phone":"87019876543"',
    headers: { 'content-type': 'application/json' },
  })

  const text = logs.text()
  t.ok(logs.lines.length > 8, 'the requests were logged')
  t.match(text, reference, 'the reference code is logged, for tracing')
  t.match(text, /"reqId":"[0-9a-f-]{36}"/, 'with request ids')
  for (const secret of [
    '9876543',
    '987 65 43',
    '2468013',
    '246 80 13',
    'Qwertyuiop',
    'Asdfghjkl',
    'Zxcvbnm',
    'Mnbvcxz',
    'Зарина',
    'Бибигуль',
    'Абая',
  ]) {
    t.notMatch(text, secret, `${secret} is not logged`)
  }
  t.notMatch(text, /remoteAddress/, 'client addresses are not logged')
})

t.test('scrub removes phone-like runs and quoted values from error texts', async (t) => {
  t.equal(
    scrub('Key (requester_phone, relative_phone)=(+77011234567, +77021234567) already exists.'),
    'Key (…)=(…) already exists.',
  )
  t.equal(scrub('invalid input syntax for type bigint: "Айгуль"'), 'invalid input syntax for type bigint: "…"')
  t.equal(scrub('call 8 701 123 45 67 now'), 'call [number] now')
  t.equal(scrub('request 42 failed'), 'request 42 failed', 'short numbers stay')
})
