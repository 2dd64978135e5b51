import Fastify from 'fastify'
import t from 'tap'
import problems from '../../src/plugins/problems.js'

/** The one error handler, on a bare Fastify with routes that fail the ways the database does. */
async function withFailure(err: Error) {
  const app = Fastify({ logger: false })
  await app.register(problems)
  app.get('/boom', async () => {
    throw err
  })
  return app.inject('/boom')
}

t.test('PostgreSQL away is a 503 to try again, recognised by its code', async (t) => {
  for (const code of ['ECONNREFUSED', '57P01', '57P03', '53300', '08006']) {
    const res = await withFailure(Object.assign(new Error('anything at all'), { code }))
    t.equal(res.statusCode, 503, code)
    t.equal(res.json().code, 'APP_ERR_NOT_READY', code)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  }
})

t.test('anything else unexpected stays a 500, whatever its message says', async (t) => {
  const res = await withFailure(new Error('connect ECONNREFUSED 127.0.0.1:5432'))
  t.equal(res.statusCode, 500)
  t.equal(res.json().code, 'APP_ERR_INTERNAL')
  const unique = await withFailure(Object.assign(new Error('duplicate key'), { code: '23505' }))
  t.equal(unique.statusCode, 500, 'a constraint the code did not expect is a bug, not an outage')
})
