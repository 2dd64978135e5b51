import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import { city, mostly, nastyString, pct, personName, phone, rarely, urlPiece, wrongType } from './arbitraries.js'
import { type Target, target } from './harness.js'
import type { Seeded } from './seed.js'
import type { Session } from './setup.js'

/** A query string of known keys with good or bad values, unknown keys, repeats, raw bytes. */
function queryOf(valid: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const pair = fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .constantFrom(...Object.keys(valid))
        .chain((key) =>
          fc.tuple(fc.constant(key), fc.oneof({ weight: 2, arbitrary: (valid[key] as fc.Arbitrary<string>).map(pct) }, urlPiece)),
        ),
    },
    { weight: 1, arbitrary: fc.tuple(urlPiece, urlPiece) },
  )
  return fc
    .array(pair, { maxLength: 5 })
    .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`))
}

const int = fc.oneof(fc.integer({ min: -5, max: 200 }).map(String), fc.constantFrom('2147483647', '2147483648', '99999999999'))
const date = fc.oneof(
  fc.date({ min: new Date('0001-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('2022-01-05', '0000-01-01', '2022-02-30', '2022-01-05T10:00:00+06:00', '275760-09-13'),
)
const LIST = {
  state: fc.constantFrom('received', 'queued', 'claimed', 'cancelled', 'nope'),
  city,
  language: fc.constantFrom('kk', 'ru', 'en', 'de'),
  priority: int,
  minAgeMinutes: int,
  maxAgeMinutes: int,
  reference: fc.constantFrom('K7QM', 'k7qm-4x', '2345'),
  cursor: int,
  limit: int,
}
const EXPORT = { personal: fc.constantFrom('true', 'false', 'yes'), status: LIST.state, since: date }

/**
 * A coordinator's reads with odd query strings and path parameters (API with a bearer token,
 * dashboard pages with the session cookie), and their writes with odd ids and bodies.
 */
export function coordinatorTargets(app: FastifyInstance, session: Session, seeded: Seeded): Target<unknown>[] {
  const ref = fc.oneof(fc.constantFrom(...seeded.references), urlPiece)
  let n = 0
  // A fresh address per case: the per-address limits (60 a minute on the full view) stay out of the way.
  const get = (url: string) => app.inject({ url, headers: session.headers, remoteAddress: `10.1.${(n >> 8) & 255}.${n++ & 255}` })
  const page = (url: string) => app.inject({ url, cookies: session.cookies })
  const json = (method: 'POST' | 'PATCH', url: string, body: unknown) =>
    app.inject({
      method,
      url,
      headers: { ...session.headers, 'content-type': 'application/json' },
      payload: JSON.stringify(body ?? null),
    })

  return [
    target({ name: 'GET /api/v1/requests?…', arbitrary: queryOf(LIST), send: (q) => get(`/api/v1/requests${q}`) }),
    target({
      name: 'GET /coordinator/requests?… (page)',
      arbitrary: queryOf(LIST),
      send: (q) => page(`/coordinator/requests${q}`),
    }),
    target({
      name: 'GET /api/v1/requests/:reference (coordinator)',
      arbitrary: ref,
      send: (r) => get(`/api/v1/requests/${r}`),
    }),
    target({ name: 'GET /coordinator/requests/:ref (page)', arbitrary: ref, send: (r) => page(`/coordinator/requests/${r}`) }),
    target({
      name: 'GET /api/v1/backlog, duplicates',
      arbitrary: fc.tuple(fc.constantFrom('/api/v1/backlog', '/api/v1/requests/duplicates'), queryOf(LIST)),
      send: ([path, q]) => get(`${path}${q}`),
    }),
    target({
      name: 'GET /api/v1/export/*',
      arbitrary: fc.tuple(fc.constantFrom('/api/v1/export/requests.csv', '/api/v1/export/pfif'), queryOf(EXPORT)),
      send: ([path, q]) => get(`${path}${q}`),
    }),
    target({
      name: 'POST /api/v1/requests/:id/{priority,cancel,merge}',
      writes: true,
      arbitrary: fc.record({
        id: ref,
        action: fc.oneof(
          fc.record({
            path: fc.constant('priority'),
            body: mostly(fc.record({ priority: mostly(fc.integer({ min: 1, max: 10 })) })),
          }),
          fc.record({ path: fc.constant('cancel'), body: mostly(fc.record({ reason: mostly(nastyString) })) }),
          fc.record({ path: fc.constant('merge'), body: mostly(fc.record({ into: mostly(ref) })) }),
        ),
      }),
      send: ({ id, action }) => json('POST', `/api/v1/requests/${id}/${action.path}`, action.body),
    }),
    target({
      name: 'GET /api/v1/tasks/:id (volunteer), POST /api/v1/volunteers/:id/approve',
      arbitrary: fc.tuple(fc.boolean(), urlPiece),
      send: ([task, id]) =>
        task
          ? app.inject({ url: `/api/v1/tasks/${id}`, headers: session.volunteer })
          : json('POST', `/api/v1/volunteers/${id}/approve`, {}),
    }),
    target({
      name: 'POST /api/v1/volunteers, PATCH /api/v1/volunteers/:id',
      // A created volunteer's password is hashed: fewer of these.
      runs: 60,
      arbitrary: fc.record({
        id: fc.oneof(fc.constant(session.volunteerId), urlPiece),
        create: fc.boolean(),
        body: fc.oneof(
          fc.record({
            name: mostly(personName, 10),
            phone: mostly(phone, 20),
            email: rarely(mostly(fc.constantFrom('vera@example.kz', 'Ерлан@пример.қаз', 'a+b@c.kz'), 20), 2),
            languages: mostly(fc.subarray(['kk', 'ru', 'en'], { minLength: 1 }), 20),
            password: mostly(fc.constant('correct horse battery'), 20),
          }),
          wrongType,
        ),
      }),
      send: ({ id, create, body }) =>
        create
          ? json('POST', '/api/v1/volunteers', body)
          : json(
              'PATCH',
              `/api/v1/volunteers/${id}`,
              typeof body === 'object' && body ? { ...body, phone: undefined, password: undefined } : body,
            ),
    }),
  ]
}
