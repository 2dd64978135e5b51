import { spawn } from 'node:child_process'
import t from 'tap'
import { coordinator, login, PASSWORD, volunteer } from '../accounts-helper.js'
import { build, testEnv, uniquePhone } from '../helper.js'

const { app, config } = await build(t)

t.test('the first coordinator comes from the command line', async (t) => {
  const run = (args: string[]) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, [...process.execArgv, 'src/cli/admin.ts', ...args], {
        env: testEnv({ DATABASE_SCHEMA: config.DATABASE_SCHEMA }),
      })
      let out = ''
      let err = ''
      child.stdout.on('data', (d) => {
        out += d
      })
      child.stderr.on('data', (d) => {
        err += d
      })
      child.on('exit', (code) => resolve({ code, out, err }))
    })
  const phone = uniquePhone()
  const ok = await run(['create-coordinator', '--name', 'Айжан', '--phone', phone.replace('+7', '8'), '--password', PASSWORD])
  t.equal(ok.code, 0, ok.err)
  const id = /^created coordinator account (\d+) /.exec(ok.out.trim())?.[1]
  t.ok(id, `names the new account's id: ${ok.out.trim()}`)
  const headers = await login(app, phone)
  const me = await app.inject({ url: '/api/v1/me', headers })
  t.match(me.json(), { id, role: 'coordinator', status: 'approved' })
  const again = await run(['create-coordinator', '--name', 'X', '--phone', phone, '--password', PASSWORD])
  t.equal(again.code, 1)
  t.match(again.err, /exists already/)
  const bad = await run(['create-coordinator', '--phone', '123', '--password', 'short'])
  t.equal(bad.code, 2, 'a wrong command line is a usage error (exit 2)')
  t.match(bad.err, /--name is required; --phone is not a valid phone number; --password must be 10/)
})

t.test('login, tokens, cookies, logout', async (t) => {
  const boss = await coordinator(app)
  const wrong = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { login: boss.phone, password: 'nope nope nope' },
  })
  t.equal(wrong.statusCode, 401)
  t.equal(wrong.json().code, 'APP_ERR_BAD_CREDENTIALS')
  const unknown = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { login: '+77070000000', password: PASSWORD },
  })
  t.same(unknown.json(), wrong.json(), 'an unknown login looks like a wrong password')
  const missing = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: '' } })
  t.equal(missing.statusCode, 400)
  t.equal(missing.json().code, 'APP_ERR_VALIDATION')

  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { login: boss.phone.replace('+7', '8 '), password: PASSWORD },
  })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { token: /^[\w-]{40,}$/, role: 'coordinator', expiresAt: String })
  const cookie = res.cookies.find((c) => c.name === 'bailanys_session')
  t.match(cookie, { httpOnly: true, sameSite: 'Lax', path: '/' })
  const viaCookie = await app.inject({ url: '/api/v1/me', cookies: { bailanys_session: cookie?.value as string } })
  t.equal(viaCookie.statusCode, 200, 'the pages can use the cookie')

  const headers = { authorization: `Bearer ${res.json().token}` }
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers })).statusCode, 204)
  const after = await app.inject({ url: '/api/v1/me', headers })
  t.equal(after.statusCode, 401, 'a revoked token no longer works')
  t.equal(after.json().code, 'APP_ERR_UNAUTHENTICATED')
  t.equal((await app.inject({ url: '/api/v1/me' })).statusCode, 401, 'no token')
  t.equal(
    (await app.inject({ url: '/api/v1/me', headers: { authorization: 'Bearer forged' } })).statusCode,
    401,
    'a forged token',
  )

  const expiring = await login(app, boss.phone)
  await app.db.query("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE revoked_at IS NULL")
  t.equal((await app.inject({ url: '/api/v1/me', headers: expiring })).statusCode, 401, 'an expired token')
  const { rows } = await app.db.query('SELECT token_hash FROM sessions LIMIT 1')
  t.notMatch(rows[0].token_hash, res.json().token, 'only a hash of the token is stored')
})

t.test('brute force on one account is stopped', async (t) => {
  const boss = await coordinator(app)
  for (let i = 0; i < 5; i++) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: boss.phone, password: `guess ${i} guess` },
    })
    t.equal(res.statusCode, 401)
  }
  const locked = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { login: boss.phone, password: PASSWORD },
  })
  t.equal(locked.statusCode, 429, 'even the right password waits')
  t.equal(locked.json().code, 'APP_ERR_RATE_LIMITED')
})

t.test('coordinators add, approve and suspend volunteers', async (t) => {
  const boss = await coordinator(app)
  const bad = await app.inject({
    method: 'POST',
    url: '/api/v1/volunteers',
    headers: boss.headers,
    payload: { name: '', phone: 'x', languages: ['de'], password: 'short', extra: 1 },
  })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().code, 'APP_ERR_VALIDATION')
  t.same(
    bad
      .json()
      .errors.map((e: { path: string }) => e.path)
      .sort(),
    ['extra', 'languages.0', 'name', 'password', 'phone'],
  )

  const pending = await volunteer(app, boss, { approve: false })
  const me = await app.inject({ url: '/api/v1/me', headers: pending.headers })
  t.match(me.json(), { role: 'volunteer', status: 'pending', available: false })
  const claim = await app.inject({ method: 'POST', url: '/api/v1/tasks/claim', headers: pending.headers })
  t.equal(claim.statusCode, 403, 'a pending volunteer sees no request')
  t.equal(claim.json().code, 'APP_ERR_NOT_APPROVED')
  const avail = await app.inject({
    method: 'POST',
    url: '/api/v1/volunteers/me/availability',
    headers: pending.headers,
    payload: { available: true },
  })
  t.equal(avail.statusCode, 403)
  t.equal(avail.json().code, 'APP_ERR_NOT_APPROVED')

  const dup = await app.inject({
    method: 'POST',
    url: '/api/v1/volunteers',
    headers: boss.headers,
    payload: { name: 'Again', phone: pending.phone, languages: ['ru'], password: PASSWORD },
  })
  t.equal(dup.statusCode, 409)
  t.equal(dup.json().code, 'APP_ERR_ACCOUNT_EXISTS')

  const approved = await app.inject({ method: 'POST', url: `/api/v1/volunteers/${pending.id}/approve`, headers: boss.headers })
  t.match(approved.json(), { status: 'approved' })
  const byVolunteer = await app.inject({
    method: 'POST',
    url: `/api/v1/volunteers/${pending.id}/suspend`,
    headers: pending.headers,
  })
  t.equal(byVolunteer.statusCode, 403, 'a volunteer cannot suspend')
  t.equal(byVolunteer.json().code, 'APP_ERR_FORBIDDEN')
  const noSuch = await app.inject({ method: 'POST', url: '/api/v1/volunteers/999999/approve', headers: boss.headers })
  t.equal(noSuch.statusCode, 404)
  t.equal(noSuch.json().code, 'APP_ERR_ACCOUNT_NOT_FOUND')
  const suspended = await app.inject({ method: 'POST', url: `/api/v1/volunteers/${pending.id}/suspend`, headers: boss.headers })
  t.match(suspended.json(), { status: 'suspended', available: false })
  t.equal((await app.inject({ url: '/api/v1/me', headers: pending.headers })).statusCode, 401, 'their sessions end')
  const relogin = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { login: pending.phone, password: PASSWORD },
  })
  t.equal(relogin.statusCode, 401, 'and they cannot log in again')
  t.equal(relogin.json().code, 'APP_ERR_BAD_CREDENTIALS')
  const audit = await app.db.query('SELECT action FROM audit_events WHERE account_id = $1 ORDER BY id', [boss.id])
  t.same(
    audit.rows.map((r) => r.action),
    ['volunteer.created', 'volunteer.approved', 'volunteer.suspended'],
  )
})
