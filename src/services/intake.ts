import { createHash } from 'node:crypto'
import type pg from 'pg'
import { claimKey, completeKey } from '../db/idempotency-repository.js'
import { addNotification } from '../db/notification-repository.js'
import { type Db, withTransaction } from '../db/pool.js'
import {
  findRequestById,
  insertRequest,
  linkRequester,
  lockOpenRequestFor,
  type NewRequest,
  type RequestRef,
} from '../db/request-repository.js'
import { cityKey } from '../domain/city.js'
import { priorityFromFlags } from '../domain/priority.js'
import { newReference } from '../domain/reference.js'
import { Errors } from '../errors.js'
import type { CreateRequest } from '../schemas/requests.js'

/** A validated request from any channel, phones already in E.164. */
export type IntakeInput = Omit<NewRequest, 'reference' | 'priority' | 'relative'> & {
  relative: Omit<NewRequest['relative'], 'cityKey'>
}
/** created: a new request; linked: this requester joined the open request about the same relative. */
export type IntakeResult = { created: boolean; linked: boolean; request: RequestRef }

/** The API body, once validated, as an intake input. */
export function fromApiBody(body: CreateRequest, source: 'api' | 'web' = 'api'): IntakeInput {
  const { requester, relative, flags } = body
  return {
    source,
    requester: { ...requester, phone: requester.phone.e164 },
    relative: {
      name: relative.name,
      phone: relative.phone.e164,
      altPhone: relative.altPhone?.e164,
      city: relative.city,
      address: relative.address || undefined,
      notes: relative.notes || undefined,
    },
    flags,
  }
}

/**
 * Creates a request, or joins the open request about the same relative: the same requester gets
 * it back; another requester is linked to it (one call, the outcome told to each). Runs in the
 * caller's transaction, or in one of its own. Every channel comes through here.
 */
export async function createRequestIn(db: Db | pg.PoolClient, input: IntakeInput): Promise<IntakeResult> {
  if (!('release' in db)) return withTransaction(db, (client) => createRequestIn(client, input))
  const req = {
    ...input,
    relative: { ...input.relative, cityKey: cityKey(input.relative.city) },
    priority: priorityFromFlags(input.flags),
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const created = await insertRequest(db, { ...req, reference: newReference() })
    if (created) return { created: true, linked: false, request: created }
    const open = await lockOpenRequestFor(db, { requesterPhone: req.requester.phone, relativePhone: req.relative.phone })
    if (open?.linked) return { created: false, linked: false, request: open }
    if (open) {
      const { priority, raised } = await linkRequester(db, open.id, req)
      if (req.source !== 'sms') await addNotification(db, { requestId: open.id, kind: 'received', phone: req.requester.phone })
      if (raised)
        await db.query(`INSERT INTO outbox (topic, request_id, payload) VALUES ('checkins.priority', $1, $2)`, [
          open.id,
          { priority },
        ])
      return { created: false, linked: true, request: open }
    }
    // Neither: the reference collided (or the open request closed meanwhile); draw again.
  }
  throw new Errors.REFERENCE_EXHAUSTED()
}

/**
 * Creates a request, or returns the open one for the same requester and relative. With an
 * Idempotency-Key, a retry gets the first answer back; the same key with another body is refused.
 */
export async function createRequest(db: Db, input: IntakeInput, idempotencyKey?: string): Promise<IntakeResult> {
  if (idempotencyKey === undefined) return createRequestIn(db, input)
  const fingerprint = createHash('sha256').update(JSON.stringify(input)).digest('hex')
  return withTransaction(db, async (client) => {
    const stored = await claimKey(client, idempotencyKey, fingerprint)
    if (stored) {
      const request =
        stored.fingerprint === fingerprint && stored.requestId ? await findRequestById(client, stored.requestId) : null
      if (!request) throw new Errors.IDEMPOTENCY_KEY_REUSED()
      return { created: stored.statusCode === 201, linked: false, request }
    }
    const result = await createRequestIn(client, input)
    await completeKey(client, idempotencyKey, { requestId: result.request.id, statusCode: result.created ? 201 : 200 })
    return result
  })
}
