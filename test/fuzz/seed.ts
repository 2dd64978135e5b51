import type { FastifyInstance } from 'fastify'
import { requestBody } from '../helper.js'

/** What the fuzzed inputs can point at, so that some of them reach the rows behind the routes. */
export type Seeded = { references: string[]; phones: string[]; notifications: string[]; attempts: string[] }

/**
 * A few requests through the real intake, their notifications, and call attempts on them by
 * `accountId` (written directly: a claim needs the work queue, and the bridge callbacks only
 * need the row).
 */
export async function seed(app: FastifyInstance, accountId: string, n = 3): Promise<Seeded> {
  const seeded: Seeded = { references: [], phones: [], notifications: [], attempts: [] }
  for (let i = 0; i < n; i++) {
    const body = requestBody()
    const res = await app.inject({ method: 'POST', url: '/api/v1/requests', payload: body })
    if (res.statusCode !== 201) throw new Error(`seed intake failed: ${res.statusCode} ${res.body}`)
    seeded.references.push(res.json().reference)
    seeded.phones.push(body.requester.phone)
  }
  const { rows: notes } = await app.db.query<{ id: string }>('SELECT id::text FROM notifications ORDER BY id')
  seeded.notifications = notes.map((r) => r.id)
  const { rows: attempts } = await app.db.query<{ id: string }>(
    'INSERT INTO attempts (request_id, account_id) SELECT id, $1 FROM requests RETURNING id::text',
    [accountId],
  )
  seeded.attempts = attempts.map((r) => r.id)
  return seeded
}
