import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import {
  city,
  extraFields,
  freeText,
  mostly,
  mutate,
  mutations,
  nastyString,
  numericString,
  personName,
  phone,
  rarely,
  urlPiece,
  wrongType,
} from './arbitraries.js'
import { type Target, target } from './harness.js'

/** A fresh client address per case, so that per-address rate limits do not hide the handlers. */
const ip = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)).map(([a, b, c]) => `10.${a}.${b}.${c}`)
const bool = fc.boolean()

/** A body the intake should accept, in all the scripts and shapes people use. */
const validBody = fc.record({
  requester: fc.record({
    name: personName,
    phone,
    language: fc.constantFrom('kk', 'ru', 'en'),
    notifyVia: fc.constantFrom('sms', 'voice'),
  }),
  relative: fc.record({
    name: personName,
    phone,
    altPhone: rarely(phone, 3),
    city,
    address: rarely(freeText, 2),
    notes: rarely(freeText, 2),
  }),
  flags: fc.record({ elderly: bool, medical: bool, children: bool, disability: bool }),
  consent: fc.constant(true),
})
const BODY_PATHS = [
  'requester',
  'requester.name',
  'requester.phone',
  'requester.language',
  'requester.notifyVia',
  'relative',
  'relative.name',
  'relative.phone',
  'relative.altPhone',
  'relative.city',
  'relative.address',
  'relative.notes',
  'flags',
  'flags.elderly',
  'consent',
] as const

/**
 * An intake body: a valid one with up to three fields broken (none a quarter of the time, so
 * that odd but valid text reaches PostgreSQL), extra fields now and then, or no object at all.
 */
export const intakeBody: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .tuple(validBody, mutations(BODY_PATHS), rarely(extraFields, 8))
      .map(([body, changes, extra]) => ({ ...mutate(body, changes), ...extra })),
  },
  { weight: 1, arbitrary: wrongType },
)

const FORM_PATHS = [
  'requesterName',
  'requesterPhone',
  'language',
  'notifyVia',
  'relativeName',
  'relativePhone',
  'relativeAltPhone',
  'city',
  'address',
  'notes',
  'elderly',
  'consent',
] as const

/** A form post: every field a string, or a repeated field (an array), as a browser sends them. */
const formFields = fc
  .tuple(
    fc.record({
      requesterName: personName,
      requesterPhone: phone,
      language: fc.constantFrom('kk', 'ru', 'en'),
      notifyVia: fc.constantFrom('sms', 'voice'),
      relativeName: personName,
      relativePhone: phone,
      relativeAltPhone: rarely(phone, 3),
      city,
      address: rarely(freeText, 2),
      notes: rarely(freeText, 2),
      elderly: rarely(fc.constant('true'), 2),
      consent: fc.constant('true'),
      website: rarely(nastyString, 20),
    }),
    mutations(FORM_PATHS),
  )
  .map(([form, changes]) => mutate(form, changes) as Record<string, unknown>)

/** A browser's form body: strings as they are, arrays as repeated fields, anything else as text. */
export function formBody(fields: Record<string, unknown>): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, typeof v === 'string' ? v : JSON.stringify(v))
  }
  return params.toString()
}

type Page = { token: string; cookies: Record<string, string> }

/** A visit to a form page: its CSRF token and cookies, for the posts that follow. */
export async function visit(app: FastifyInstance, url: string): Promise<Page> {
  const res = await app.inject({ url })
  const token = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1] ?? ''
  return { token, cookies: Object.fromEntries(res.cookies.map((c) => [c.name, c.value])) }
}

/** Posts a form as the page's browser would, with its token (or a wrong or missing one, now and then). */
function postForm(
  app: FastifyInstance,
  page: Page,
  url: string,
  fields: Record<string, unknown>,
  csrf: string | null,
  from: string,
) {
  const withToken = csrf === null ? { _csrf: page.token, ...fields } : csrf === '' ? fields : { _csrf: csrf, ...fields }
  return app.inject({
    method: 'POST',
    url,
    remoteAddress: from,
    cookies: page.cookies,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: formBody(withToken),
  })
}
const csrfChoice = fc.oneof({ weight: 12, arbitrary: fc.constant(null) }, fc.constant(''), nastyString)

/** Requests that exist, so that some status lookups find something. */
export type Known = { references: string[]; phones: string[] }

/** Intake JSON, the form, the status lookup (API and page), login (API and page). */
export async function publicTargets(app: FastifyInstance, known: Known): Promise<Target<unknown>[]> {
  const form = await visit(app, '/')
  const statusPage = await visit(app, '/status')
  const loginPage = await visit(app, '/volunteer/login')
  const reference = fc.oneof(fc.constantFrom(...known.references), urlPiece)
  const lookupPhone = fc.oneof(fc.constantFrom(...known.phones).map(encodeURIComponent), urlPiece)
  const login = mostly(fc.oneof(fc.constantFrom(...known.phones), phone, fc.constant('a@b.kz'), nastyString))
  const password = mostly(fc.oneof(fc.constant('correct horse battery'), nastyString))

  return [
    target({
      name: 'POST /api/v1/requests',
      runs: 500,
      writes: true,
      arbitrary: fc.record({
        body: intakeBody,
        raw: rarely(nastyString, 15),
        key: rarely(fc.oneof(fc.uuid(), nastyString), 6),
        from: ip,
      }),
      send: ({ body, raw, key, from }) =>
        app.inject({
          method: 'POST',
          url: '/api/v1/requests',
          remoteAddress: from,
          headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) },
          payload: raw ?? JSON.stringify(body),
        }),
    }),
    target({
      name: 'POST / (the form)',
      runs: 300,
      writes: true,
      arbitrary: fc.record({ fields: formFields, extra: extraFields, csrf: csrfChoice, from: ip }),
      send: ({ fields, extra, csrf, from }) => postForm(app, form, '/', { ...fields, ...extra }, csrf, from),
    }),
    target({
      name: 'GET /api/v1/requests/:reference?phone',
      runs: 250,
      arbitrary: fc.record({ ref: reference, phone: fc.option(lookupPhone, { freq: 8, nil: undefined }), from: ip }),
      send: ({ ref, phone, from }) =>
        app.inject({ url: `/api/v1/requests/${ref}${phone === undefined ? '' : `?phone=${phone}`}`, remoteAddress: from }),
    }),
    target({
      name: 'POST /status (the page)',
      runs: 200,
      arbitrary: fc.record({
        ref: mostly(fc.oneof(fc.constantFrom(...known.references), nastyString)),
        phone: mostly(fc.oneof(fc.constantFrom(...known.phones), numericString)),
        csrf: csrfChoice,
        from: ip,
      }),
      send: ({ ref, phone, csrf, from }) => postForm(app, statusPage, '/status', { ref, phone }, csrf, from),
    }),
    // Logins verify an argon2 hash each (on purpose, even for an unknown login): fewer of them.
    target({
      name: 'POST /api/v1/auth/login',
      runs: 30,
      arbitrary: fc.record({ body: fc.oneof(fc.record({ login, password }), wrongType), from: ip }),
      send: ({ body, from }) =>
        app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          remoteAddress: from,
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify(body),
        }),
    }),
    target({
      name: 'POST /volunteer/login (the page)',
      runs: 30,
      arbitrary: fc.record({ login, password, csrf: csrfChoice, from: ip }),
      send: ({ login, password, csrf, from }) => postForm(app, loginPage, '/volunteer/login', { login, password }, csrf, from),
    }),
  ]
}
