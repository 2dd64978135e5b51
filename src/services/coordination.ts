import type pg from 'pg'
import { coordinatorEvent, lockRequest, mergeInto, reopen, setPriority } from '../db/coordination-repository.js'
import { endLease, type Lease } from '../db/lease-repository.js'
import { addNotification } from '../db/notification-repository.js'
import { withTransaction } from '../db/pool.js'
import { cancelRequest } from '../db/request-repository.js'
import { parseReference } from '../domain/reference.js'
import { OPEN_STATES, type RequestState } from '../domain/request-states.js'
import { CoordinationErrors } from '../errors.js'
import { returnJob, type TaskDeps } from './tasks.js'

type Deps = TaskDeps
type Locked = { id: string; status: RequestState; priority: number }

/** A request reference as typed, or 404. */
export function referenceOf(id: string): string {
  const ref = parseReference(id)
  if (!ref) throw new CoordinationErrors.REQUEST_NOT_FOUND()
  return ref
}

/** Runs an action on a locked request; 404 when there is none. */
function act<T>(deps: Deps, reference: string, fn: (client: pg.PoolClient, r: Locked) => Promise<T>): Promise<T> {
  return withTransaction(deps.db, async (client) => {
    const locked = await lockRequest(client, referenceOf(reference))
    if (!locked) throw new CoordinationErrors.REQUEST_NOT_FOUND()
    return fn(client, locked)
  })
}

/** Every action below is an event with the coordinator as actor. */
export async function changePriority(deps: Deps, actorId: string, reference: string, priority: number) {
  return act(deps, reference, async (client, r) => {
    if (!OPEN_STATES.includes(r.status)) throw new CoordinationErrors.NOT_OPEN(r.status)
    await setPriority(client, r.id, priority)
    await coordinatorEvent(client, {
      requestId: r.id,
      type: 'priority_changed',
      actorId,
      data: { from: r.priority, to: priority },
    })
    return { priority }
  })
}

/**
 * Ends a request's lease inside the action's transaction (the coordinator is the actor), so the
 * lease ends only if the whole action commits; its job is given back to the queue after commit.
 */
async function endLeaseIn(client: pg.PoolClient, r: Locked, actorId: string): Promise<Lease | null> {
  return endLease(client, { requestId: r.id, event: 'lease_ended', actorType: 'coordinator', actorId })
}

/** Runs an action that may end a lease; the job goes back to the queue once the action committed. */
async function actEndingLease<T>(
  deps: Deps,
  reference: string,
  fn: (client: pg.PoolClient, r: Locked) => Promise<{ value: T; lease: Lease | null }>,
): Promise<T> {
  const { value, lease } = await act(deps, reference, fn)
  if (lease) await returnJob(deps, lease)
  return value
}

/** Ends any lease, closes the request as cancelled and tells its requesters: all or nothing. */
export async function cancelByCoordinator(deps: Deps, actorId: string, reference: string, reason: string) {
  return actEndingLease(deps, reference, async (client, r) => {
    if (!OPEN_STATES.includes(r.status)) throw new CoordinationErrors.NOT_OPEN(r.status)
    const lease = await endLeaseIn(client, r, actorId)
    if (!(await cancelRequest(client, { requestId: r.id, actorType: 'coordinator', actorId, reason })))
      throw new CoordinationErrors.NOT_OPEN(r.status)
    await addNotification(client, { requestId: r.id, kind: 'cancelled' })
    return { value: { status: 'cancelled' as const }, lease }
  })
}

/** Merges a duplicate into another open request (its requesters follow and are told): all or nothing. */
export async function merge(deps: Deps, actorId: string, reference: string, intoReference: string) {
  const from = referenceOf(reference)
  const into = referenceOf(intoReference)
  if (from === into) throw new CoordinationErrors.SAME_REQUEST()
  return actEndingLease(deps, from, async (client, r) => {
    const target = await lockRequest(client, into)
    if (!target) throw new CoordinationErrors.REQUEST_NOT_FOUND()
    if (!OPEN_STATES.includes(r.status)) throw new CoordinationErrors.NOT_OPEN(r.status)
    if (!OPEN_STATES.includes(target.status)) throw new CoordinationErrors.NOT_OPEN(target.status)
    const lease = await endLeaseIn(client, r, actorId)
    await mergeInto(client, { fromId: r.id, intoId: target.id, actorId, fromStatus: lease ? 'queued' : r.status })
    return { value: { status: 'duplicate' as const, into }, lease }
  })
}

/** Puts a closed request back in the queue; 409 when the relative has another open one. */
export async function requeue(deps: Deps, actorId: string, reference: string) {
  return act(deps, reference, async (client, r) => {
    if (OPEN_STATES.includes(r.status) || r.status === 'duplicate') throw new CoordinationErrors.NOT_CLOSED(r.status)
    try {
      await client.query('SAVEPOINT reopen')
      await reopen(client, r.id)
    } catch (err) {
      // 23505: the relative has another open request (one open request per relative).
      if ((err as { code?: string }).code !== '23505') throw err
      await client.query('ROLLBACK TO SAVEPOINT reopen')
      throw new CoordinationErrors.RELATIVE_HAS_OPEN_REQUEST()
    }
    await coordinatorEvent(client, { requestId: r.id, type: 'requeued', actorId, from: r.status, to: 'queued' })
    return { status: 'queued' as const }
  })
}

/** Takes a request back from the volunteer holding it. */
export async function endLeaseByCoordinator(deps: Deps, actorId: string, reference: string) {
  return actEndingLease(deps, reference, async (client, r) => {
    const lease = await endLeaseIn(client, r, actorId)
    if (!lease) throw new CoordinationErrors.NO_LEASE_TO_END()
    return { value: { status: 'queued' as const }, lease }
  })
}
