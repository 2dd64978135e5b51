import t from 'tap'
import { build } from '../helper.js'

t.test('health, readiness and the API description', async (t) => {
  const { app } = await build(t)
  t.same((await app.inject('/healthz')).json(), { status: 'ok' })
  const ready = await app.inject('/readyz')
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ready', postgresql: 'up', redis: 'up' })
  const docs = await app.inject('/docs/json')
  t.equal(docs.statusCode, 200)
  const spec = docs.json()
  t.ok(spec.paths['/api/v1/requests'].post, 'intake is described')
  t.ok(spec.paths['/api/v1/requests/{reference}'].get, 'status is described')
  t.ok(
    spec.paths['/api/v1/requests'].post.requestBody.content['application/json'].schema.properties.relative,
    'from the zod schema',
  )
  t.equal((await app.inject('/docs')).statusCode < 400, true, 'the docs page answers')
})

t.test('readiness fails with 503 when Redis does not answer', async (t) => {
  const { app } = await build(t, { REDIS_URL: 'redis://127.0.0.1:1' })
  const ready = await app.inject('/readyz')
  t.equal(ready.statusCode, 503)
  t.match(ready.json(), { code: 'APP_ERR_NOT_READY', title: /redis/ })
  t.equal((await app.inject('/healthz')).statusCode, 200, 'the process itself is up')
})

t.test('a claim while Redis is away is a 503, not a 500', async (t) => {
  const { coordinator, volunteer } = await import('../accounts-helper.js')
  const { app } = await build(t, { REDIS_URL: 'redis://127.0.0.1:1' })
  const boss = await coordinator(app)
  const vera = await volunteer(app, boss)
  const res = await app.inject({ method: 'POST', url: '/api/v1/tasks/claim', headers: vera.headers })
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'APP_ERR_NOT_READY')
})
