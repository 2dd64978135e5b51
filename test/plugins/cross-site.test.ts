import { readFile } from 'node:fs/promises'
import t from 'tap'
import { SESSION_COOKIE } from '../../src/plugins/auth.js'
import { SAME_ORIGIN_HEADER } from '../../src/plugins/cross-site.js'
import { coordinator, sessionFor, volunteer } from '../accounts-helper.js'
import { buildWithRoutes } from '../routes-helper.js'

const PUBLIC_BASE_URL = 'https://bailanys.example'
const { app, routes } = await buildWithRoutes(t, { PUBLIC_BASE_URL })
const boss = await coordinator(app)
const bossCookie = `${SESSION_COOKIE}=${await sessionFor(app, boss.id)}`
const EVIL = { origin: 'https://evil.example', 'content-type': 'text/plain' }

const suspend = (id: string, headers: Record<string, string>) =>
  app.inject({ method: 'POST', url: `/api/v1/volunteers/${id}/suspend`, headers, payload: 'x' })
const statusOf = async (id: string) =>
  (await app.db.query('SELECT status FROM accounts WHERE id = $1', [id])).rows[0].status as string

t.test('the reported attack: a cookie, another Origin, text/plain: refused, and nothing changes', async (t) => {
  const vera = await volunteer(app, boss)
  const res = await suspend(vera.id, { cookie: bossCookie, ...EVIL })
  t.equal(res.statusCode, 403)
  t.equal(res.json().code, 'APP_ERR_CROSS_SITE')
  t.equal(await statusOf(vera.id), 'approved', 'still approved')
  t.equal((await app.inject({ url: '/api/v1/me', headers: vera.headers })).statusCode, 200, 'her session lives on')
  const audit = await app.db.query("SELECT 1 FROM audit_events WHERE action = 'volunteer.suspended'")
  t.equal(audit.rowCount, 0, 'no audit event')
})

t.test('what counts as cross-site', async (t) => {
  const vera = await volunteer(app, boss)
  const refused: [string, Record<string, string>][] = [
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site (a sibling subdomain)', { 'sec-fetch-site': 'same-site' }],
    ['Origin: null (a sandboxed frame)', { origin: 'null' }],
    ['neither Origin nor Sec-Fetch-Site nor the header', {}],
    ['the header cannot outvote the browser', { 'sec-fetch-site': 'cross-site', [SAME_ORIGIN_HEADER]: '1' }],
    ['nor a foreign Origin', { origin: 'https://evil.example', [SAME_ORIGIN_HEADER]: '1' }],
    ['the public origin over plain http', { origin: 'http://bailanys.example' }],
    ['a JSON body changes nothing', { 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }],
  ]
  for (const [what, headers] of refused) {
    const res = await suspend(vera.id, { cookie: bossCookie, 'content-type': 'text/plain', ...headers })
    t.equal(res.json().code, 'APP_ERR_CROSS_SITE', what)
  }
  t.equal(await statusOf(vera.id), 'approved')
})

t.test('the same request from the pages passes', async (t) => {
  const accepted: [string, Record<string, string>][] = [
    ['Sec-Fetch-Site: same-origin', { 'sec-fetch-site': 'same-origin' }],
    ['Sec-Fetch-Site: none (typed by the user)', { 'sec-fetch-site': 'none' }],
    ['Origin: the origin of PUBLIC_BASE_URL (older browsers)', { origin: PUBLIC_BASE_URL }],
    ['Origin: the request’s own origin', { origin: 'http://api.internal:3000', host: 'api.internal:3000' }],
    ['the pages’ header, from a browser sending neither', { [SAME_ORIGIN_HEADER]: '1' }],
  ]
  for (const [what, headers] of accepted) {
    const vera = await volunteer(app, boss)
    const res = await suspend(vera.id, { cookie: bossCookie, 'content-type': 'text/plain', ...headers })
    t.equal(res.statusCode, 200, what)
    t.equal(await statusOf(vera.id), 'suspended', what)
  }
})

t.test('bearer tokens are not ambient: unaffected, whatever the Origin', async (t) => {
  const vera = await volunteer(app, boss)
  const res = await suspend(vera.id, { ...boss.headers, ...EVIL })
  t.equal(res.statusCode, 200)
  t.equal(await statusOf(vera.id), 'suspended')
})

t.test('reads and anonymous requests are unaffected', async (t) => {
  const me = await app.inject({ url: '/api/v1/me', headers: { cookie: bossCookie, ...EVIL } })
  t.equal(me.statusCode, 200, 'a GET with the cookie')
  const login = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    headers: { origin: 'https://evil.example' },
    payload: { login: boss.phone, password: 'not the password' },
  })
  t.equal(login.json().code, 'APP_ERR_BAD_CREDENTIALS', 'no cookie: nothing ambient to protect')
})

t.test('a text/plain body is never read as JSON', async (t) => {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/volunteers',
    headers: { ...boss.headers, 'content-type': 'text/plain' },
    payload: JSON.stringify({ name: 'X', phone: '+77010000000', languages: ['ru'], password: 'long enough pass' }),
  })
  t.equal(res.statusCode, 400)
  t.equal(res.json().code, 'APP_ERR_VALIDATION')
})

t.test('every state-changing route of the JSON API is covered', async (t) => {
  const changes = routes.filter((r) => /^(POST|PUT|PATCH|DELETE) \/(api|admin)\//.test(r))
  t.ok(changes.length > 40, `${changes.length} routes`)
  for (const route of changes) {
    const [method, pattern] = route.split(' ') as [string, string]
    const url = pattern.replace(/:\w+/g, '1').replace('*', 'x')
    const inject = (headers: Record<string, string>) =>
      app.inject({ method: method as 'POST', url, headers: { 'content-type': 'text/plain', ...headers }, payload: '{}' })
    const refused = await inject({ cookie: bossCookie, origin: 'https://evil.example' })
    t.equal(refused.json().code, 'APP_ERR_CROSS_SITE', `${route} cross-site`)
    // A session of its own each time: logout ends the session it is sent with.
    const cookie = `${SESSION_COOKIE}=${await sessionFor(app, boss.id)}`
    const same = await inject({ cookie, 'sec-fetch-site': 'same-origin' })
    t.notMatch(same.body, 'APP_ERR_CROSS_SITE', `${route} same-origin: past the check`)
  }
})

t.test('the pages are not the API: a form post with its CSRF token needs no Origin', async (t) => {
  const vera = await volunteer(app, boss)
  const cookie = `${SESSION_COOKIE}=${vera.headers.authorization.slice(7)}`
  const page = await app.inject({ url: '/volunteer', headers: { cookie } })
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] as string
  const csrf = page.cookies.find((c) => c.name === 'bailanys_csrf')?.value as string
  const res = await app.inject({
    method: 'POST',
    url: '/volunteer/availability',
    headers: { cookie: `${cookie}; bailanys_csrf=${csrf}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: token, available: 'false' }).toString(),
  })
  t.equal(res.statusCode, 303)
})

t.test('the console’s script sends the header the API looks for', async (t) => {
  const script = await readFile(new URL('../../src/views/static/console.js', import.meta.url), 'utf8')
  t.match(script, `'${SAME_ORIGIN_HEADER}': '1'`)
})
