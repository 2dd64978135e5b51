import t from 'tap'
import { SESSION_COOKIE } from '../../src/plugins/auth.js'
import { coordinator, volunteer } from '../accounts-helper.js'
import { build } from '../helper.js'

const QUEUES = ['checkins-en', 'checkins-kk', 'checkins-ru', 'maintenance', 'notify', 'partner-webhooks']

t.test('bull-board is for coordinators only, and read-only', async (t) => {
  const { app } = await build(t)
  const coord = await coordinator(app)
  const vol = await volunteer(app, coord)

  for (const url of ['/admin/queues', '/admin/queues/api/queues', '/admin/queues/static/favicon-32x32.png']) {
    const anonymous = await app.inject(url)
    t.equal(anonymous.statusCode, 401, `${url} without a session`)
    t.equal(anonymous.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.equal(anonymous.json().code, 'APP_ERR_UNAUTHENTICATED')
    const forbidden = await app.inject({ url, headers: vol.headers })
    t.equal(forbidden.statusCode, 403, `${url} for a volunteer`)
    t.equal(forbidden.json().code, 'APP_ERR_FORBIDDEN')
  }
  const badToken = await app.inject({ url: '/admin/queues', headers: { authorization: 'Bearer not-a-session' } })
  t.equal(badToken.statusCode, 401)

  const page = await app.inject({ url: '/admin/queues', headers: coord.headers })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.match(page.body, '<base href="/admin/queues/" />', 'assets resolve under the board path')
  t.match(page.body, /Bailanys queues/)

  const token = coord.headers.authorization.slice('Bearer '.length)
  const byCookie = await app.inject({ url: '/admin/queues/', cookies: { [SESSION_COOKIE]: token } })
  t.equal(byCookie.statusCode, 200, 'the session cookie opens it too')
  const asset = await app.inject({ url: '/admin/queues/static/favicon-32x32.png', cookies: { [SESSION_COOKIE]: token } })
  t.equal(asset.statusCode, 200)

  const api = await app.inject({ url: '/admin/queues/api/queues', headers: coord.headers })
  t.equal(api.statusCode, 200)
  const queues = api.json().queues as { name: string; readOnlyMode: boolean }[]
  t.same(queues.map((q) => q.name).sort(), QUEUES)
  t.ok(
    queues.every((q) => q.readOnlyMode),
    'every queue is read-only',
  )

  const pause = await app.inject({ method: 'PUT', url: '/admin/queues/api/queues/checkins-kk/pause', headers: coord.headers })
  t.equal(pause.statusCode, 405, 'a read-only queue cannot be paused')
  t.equal(await app.checkins.queues.kk.isPaused(), false)
  const pauseAnonymous = await app.inject({ method: 'PUT', url: '/admin/queues/api/queues/checkins-kk/pause' })
  t.equal(pauseAnonymous.statusCode, 401)
})
