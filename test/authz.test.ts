/**
 * The authorisation table: every registered route, for every role, by cookie and by bearer, with
 * what it must answer. The rows are in ./authz-table.ts; a route without a row (or a row without
 * a route) fails the first test. One app and one set of accounts, through inject.
 */
import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { createFakeTwilio } from '../dev/fake-twilio/server.js'
import { leaseOfAccount } from '../src/db/lease-repository.js'
import { SESSION_COOKIE } from '../src/plugins/auth.js'
import { coordinator, sessionFor, volunteer } from './accounts-helper.js'
import { type Ctx, expected, type Outcome, ROLES, type Role, type Row, TABLE } from './authz-table.js'
import { requestBody, twilioPost } from './helper.js'
import { relayFor } from './relay-helper.js'
import { partner, partnerAccount } from './routes/partners-helper.js'
import { buildWithRoutes } from './routes-helper.js'

const AUTH_TOKEN = 'authz-auth-token'
const ACCOUNT_SID = `AC${'3'.repeat(32)}`
const METRICS_TOKEN = 'authz-metrics-token-0123456789'
const fake = await createFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN })
t.teardown(() => fake.close())
const { app, config, routes } = await buildWithRoutes(t, {
  LEASE_SECONDS: 600,
  METRICS_TOKEN,
  TWILIO_ACCOUNT_SID: ACCOUNT_SID,
  TWILIO_AUTH_TOKEN: AUTH_TOKEN,
  TWILIO_BASE_URL: fake.url,
  TWILIO_FROM: '+15005550006',
})
const { relay } = relayFor(t, app, config)

// The volunteers speak only Russian; every other request is in English, so only the holder's
// request can ever be claimed, and "approved without the lease" stays without one.
const boss = await coordinator(app)
const ru = { languages: ['ru'] }
const people = {
  pending: await volunteer(app, boss, { ...ru, approve: false }),
  approved: await volunteer(app, boss, ru),
  holder: await volunteer(app, boss, ru),
  suspended: await volunteer(app, boss, ru),
  coordinator: boss,
  partner: await partnerAccount(app, boss, (await partner(app, boss)).id),
}
// Suspended behind the sessions' back: the old token's session row stays live, so the refusal
// must come from the account's status itself.
await app.db.query("UPDATE accounts SET status = 'suspended' WHERE id = $1", [people.suspended.id])
const token = (role: Exclude<Role, 'anonymous'>) => people[role].headers.authorization.slice('Bearer '.length)
const target = await volunteer(app, boss, { languages: ['en'], approve: false })

const submit = async (language: 'ru' | 'en') => {
  const body = requestBody({ requester: { language } })
  const res = await app.inject({ method: 'POST', url: '/api/v1/requests', payload: body })
  await relay.runOnce()
  return { reference: res.json().reference as string, phone: body.requester.phone }
}
const spare = await submit('en')

/** The holder's current task: claimed again when a row released or closed it. */
async function ensureLease(): Promise<string> {
  const held = await leaseOfAccount(app.db, people.holder.id)
  if (held) return held.reference
  const claim = () => app.inject({ method: 'POST', url: '/api/v1/tasks/claim', headers: people.holder.headers })
  let res = await claim()
  if (res.statusCode === 204) {
    await submit('ru')
    res = await claim()
  }
  if (res.statusCode !== 200) throw new Error(`the holder could not claim: ${res.statusCode}`)
  return res.json().task.reference
}

// One CSRF secret and token serve every page form in the table (they are not tied to a session).
const statusPage = await app.inject({ url: '/status' })
const csrf = {
  secret: statusPage.cookies.find((c) => c.name === 'bailanys_csrf')?.value as string,
  token: /name="_csrf" value="([^"]+)"/.exec(statusPage.body)?.[1] as string,
}

const ctx = (held: string): Ctx => ({ held, spare, target: target.id })

type Principal = { role: Role; via?: 'cookie' | 'bearer' }
// The holder comes last (ROLES' order), and the lease is made good again before every request.
const PRINCIPALS: Principal[] = [
  { role: 'anonymous' },
  ...ROLES.flatMap((role) => (['cookie', 'bearer'] as const).map((via) => ({ role, via }))),
]

async function send(key: string, row: Row, c: Ctx, who: Principal): Promise<LightMyRequestResponse> {
  const [method, pattern] = key.split(' ') as ['GET', string]
  const headers: Record<string, string> = {}
  const cookies: string[] = []
  if (who.role !== 'anonymous') {
    const session = row.fresh ? await sessionFor(app, people[who.role].id) : token(who.role)
    if (who.via === 'bearer') headers.authorization = `Bearer ${session}`
    else cookies.push(`${SESSION_COOKIE}=${session}`)
    // What a browser on the pages sends; cross-site requests are test/plugins/cross-site.test.ts's.
    if (who.via === 'cookie') headers['sec-fetch-site'] = 'same-origin'
  }
  let payload: string | object | undefined
  if (row.form) {
    cookies.push(`bailanys_csrf=${csrf.secret}`)
    headers['x-csrf-token'] = csrf.token
    headers['content-type'] = 'application/x-www-form-urlencoded'
    payload = new URLSearchParams(row.form(c)).toString()
  } else if (row.twilio) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    payload = new URLSearchParams(row.twilio).toString()
  } else payload = row.body?.(c)
  if (cookies.length > 0) headers.cookie = cookies.join('; ')
  const url = row.url?.(c) ?? pattern
  return app.inject({ method, url, headers, payload, payloadAsStream: row.stream })
}

/** What a response says, in the table's terms: the status, and the code or the redirect's target. */
async function outcome(res: LightMyRequestResponse, want: Outcome, stream?: boolean): Promise<Outcome> {
  const type = String(res.headers['content-type'] ?? '')
  if (stream) {
    if (res.statusCode === 200) {
      res.stream().destroy()
      return [200]
    }
    return outcomeOf(res.statusCode, type, res.headers.location, await text(res.stream()), want)
  }
  return outcomeOf(res.statusCode, type, res.headers.location, res.body, want)
}

function outcomeOf(status: number, type: string, location: unknown, body: string, want: Outcome): Outcome {
  if (type.startsWith('application/problem+json')) return [status, JSON.parse(body).code]
  if (typeof location === 'string') {
    const [, target] = want
    return [status, target && location.startsWith(`${target}?`) ? target : location]
  }
  return want[1] === undefined ? [status] : [status, '(no code)']
}

async function text(stream: NodeJS.ReadableStream) {
  let all = ''
  for await (const chunk of stream) all += chunk
  return all
}

t.test('every registered route has a row, and every row a route', async (t) => {
  t.same(Object.keys(TABLE).sort(), routes, 'table keys = registered routes')
})

t.test('the table', async (t) => {
  for (const [key, rows] of Object.entries(TABLE)) {
    for (const row of [rows].flat()) {
      for (const who of PRINCIPALS) {
        const c = ctx(await ensureLease())
        const want = expected(row, who.role, c)
        const label = `${key} ${row.note ?? ''} · ${who.role}${who.via ? ` by ${who.via}` : ''}`
        t.same(await outcome(await send(key, row, c, who), want, row.stream), want, label)
      }
      const ok = expected({ ...row, access: 'public' }, 'anonymous', ctx(''))
      if (row.access === 'twilio-signed') {
        const signed = await twilioPost(app, config, row.url?.(ctx('')) as string, row.twilio ?? {})
        t.same(await outcome(signed, ok), ok, `${key} signed by Twilio`)
      }
      if (row.access === 'metrics-token') {
        const res = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
        t.same(await outcome(res, ok), ok, `${key} with METRICS_TOKEN`)
      }
    }
  }
})

t.test('every refusal of the API in the table names its code', async (t) => {
  for (const [key, rows] of Object.entries(TABLE))
    for (const row of [rows].flat())
      for (const role of ['anonymous', ...ROLES] as Role[]) {
        const [status, code] = expected(row, role, ctx('REF'))
        if ((status === 401 || status === 403) && /^\S+ \/(api|admin|twilio|metrics)/.test(key))
          t.ok(code, `${key} · ${role}: ${status} names its code`)
      }
})

t.test('the board’s changes over every queue changed nothing (its queues are read-only)', async (t) => {
  for (const queue of Object.values(app.checkins.queues)) t.equal(await queue.isPaused(), false, `${queue.name} not paused`)
})
