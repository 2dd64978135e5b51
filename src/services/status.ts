import type { Config } from '../config.js'
import type { Db } from '../db/pool.js'
import { findForRequester, type RequesterView } from '../db/request-repository.js'
import { normalisePhone } from '../domain/phone.js'
import { parseReference } from '../domain/reference.js'
import { nextAttemptAt } from '../domain/retry-policy.js'

/** What a requester learns about their request, on the status page and from the API alike. */
export type RequesterStatus = Omit<RequesterView, 'retry'> & {
  /**
   * When the next call may start, while the request waits out the delay after an unanswered
   * call; null otherwise, and null once that time has passed (it then waits for a free volunteer).
   */
  nextAttemptAt: Date | null
  /** Queued again after an unanswered call (whether or not its delay is over). */
  retrying: boolean
}

export type StatusDeps = { db: Db; config: Pick<Config, 'RETRY_DELAYS_MINUTES'> }

/**
 * A request as its requester may see it, from the reference and phone they typed (in any of
 * the ways people write them). An unknown or malformed reference, an invalid phone and a phone
 * that is not one of the request's requesters all give null: none of them tells more than another.
 */
export async function requesterStatus(
  deps: StatusDeps,
  typed: { reference: string; phone: string },
  now = new Date(),
): Promise<RequesterStatus | null> {
  const reference = parseReference(typed.reference)
  // No phone is longer than the schema's 32 characters: a page's form is not bounded by it.
  const phone = typed.phone.length <= 32 ? normalisePhone(typed.phone) : { ok: false as const }
  if (!reference || !phone.ok) return null
  const found = await findForRequester(deps.db, reference, phone.e164)
  if (!found) return null
  const { retry, ...view } = found
  // The same policy that delayed the job says when it comes back.
  const due = retry && nextAttemptAt(retry.from, deps.config.RETRY_DELAYS_MINUTES, retry.attempt)
  return { ...view, retrying: retry !== null, nextAttemptAt: due && due > now ? due : null }
}
