import { createHash } from 'node:crypto'
import { claimKey, completeKey } from '../db/idempotency-repository.js'
import { type Db, withTransaction } from '../db/pool.js'
import { findOpenRequest, findRequestById, insertRequest, type NewRequest, type RequestRef } from '../db/request-repository.js'
import { cityKey } from '../domain/city.js'
import { priorityFromFlags } from '../domain/priority.js'
import { newReference } from '../domain/reference.js'
import { Errors } from '../errors.js'
import type { CreateRequest } from '../schemas/requests.js'

export type IntakeResult = { created: boolean; request: RequestRef }

/** Tries to insert with a fresh reference, or finds the open request it duplicates. */
async function insertOrFind(db: Db | import('pg').PoolClient, req: Omit<NewRequest, 'reference'>): Promise<IntakeResult> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const created = await insertRequest(db, { ...req, reference: newReference() })
    if (created) return { created: true, request: created }
    const open = await findOpenRequest(db, { requesterPhone: req.requester.phone, relativePhone: req.relative.phone })
    if (open) return { created: false, request: open }
    // Neither: the reference collided (or the open request closed meanwhile); draw again.
  }
  throw new Errors.REFERENCE_EXHAUSTED()
}

function toNewRequest(input: CreateRequest): Omit<NewRequest, 'reference'> {
  const { requester, relative, flags } = input
  return {
    requester: { ...requester, phone: requester.phone.e164 },
    relative: {
      name: relative.name,
      phone: relative.phone.e164,
      altPhone: relative.altPhone?.e164,
      city: relative.city,
      cityKey: cityKey(relative.city),
      address: relative.address || undefined,
      notes: relative.notes || undefined,
    },
    flags,
    priority: priorityFromFlags(flags),
  }
}

/**
 * Creates a request, or returns the open one for the same requester and relative. The request,
 * its first event and its outbox row are committed together. With an Idempotency-Key, a retry
 * gets the first answer back; the same key with another body is refused.
 */
export async function createRequest(db: Db, input: CreateRequest, idempotencyKey?: string): Promise<IntakeResult> {
  const req = toNewRequest(input)
  if (idempotencyKey === undefined) return insertOrFind(db, req)
  const fingerprint = createHash('sha256').update(JSON.stringify(req)).digest('hex')
  return withTransaction(db, async (client) => {
    const stored = await claimKey(client, idempotencyKey, fingerprint)
    if (stored) {
      if (stored.fingerprint !== fingerprint || stored.requestId === null) throw new Errors.IDEMPOTENCY_KEY_REUSED()
      const request = await findRequestById(client, stored.requestId)
      if (!request) throw new Errors.IDEMPOTENCY_KEY_REUSED()
      return { created: stored.statusCode === 201, request }
    }
    const result = await insertOrFind(client, req)
    await completeKey(client, idempotencyKey, { requestId: result.request.id, statusCode: result.created ? 201 : 200 })
    return result
  })
}
