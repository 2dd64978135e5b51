import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type pg from 'pg'
import type { Config } from '../config.js'
import { type Account, audit } from '../db/account-repository.js'
import { lockRequest } from '../db/coordination-repository.js'
import { endLease, extendLease, findLease, type Lease, leaseOfAccount, takeRequest } from '../db/lease-repository.js'
import { addNotification, type NotificationKind } from '../db/notification-repository.js'
import { type Db, withTransaction } from '../db/pool.js'
import { type Outcome, recordOutcome, type TaskDetails, taskDetails } from '../db/task-repository.js'
import { nextAttemptAt } from '../domain/retry-policy.js'
import { AuthErrors, TaskErrors } from '../errors.js'
import { CheckinJobSchema } from '../queues/checkins.js'
import { bestQueue } from '../queues/checkins-hand.js'
import { withRedis } from './redis-guard.js'
import { carryOn, type ReferralOfOutcome } from './referrals.js'

export type TaskDeps = Pick<FastifyInstance, 'db' | 'redis' | 'checkins' | 'log'> & {
  config: Pick<Config, 'LEASE_SECONDS' | 'MAX_CALL_ATTEMPTS' | 'RETRY_DELAYS_MINUTES' | 'REDIS_TIMEOUT_MS'> &
    Partial<Pick<Config, 'SEARCH_HANDOFF_AUTO'>>
}
type Deps = TaskDeps
export type Task = TaskDetails & { leaseExpiresAt: string }

const leaseMs = (deps: Deps) => deps.config.LEASE_SECONDS * 1000
/** Every Redis step of a task has a deadline: a frozen Redis gives a quick 503, never a hang. */
const redis = <T>(deps: Deps, operation: () => Promise<T>) => withRedis(deps.config.REDIS_TIMEOUT_MS, operation)

/**
 * Gives a job back to its queue after PostgreSQL has ended the lease. Best effort: if Redis is
 * away, the job's lock runs out and BullMQ's stalled check returns it all the same, and a claim of
 * a closed request's job discards it.
 */
export async function returnJob(deps: Deps, lease: Pick<Lease, 'queue' | 'jobId' | 'token'>): Promise<void> {
  await redis(deps, async () => {
    const job = await deps.checkins.queues[lease.queue].getJob(lease.jobId)
    await job?.moveToWait(lease.token)
  }).catch((err: Error) => deps.log.warn({ err }, 'job not given back now; its lock will run out'))
}

function assertCanWork(account: Account) {
  if (account.status !== 'approved') throw new AuthErrors.NOT_APPROVED()
}

/** The task as the holder sees it; every such read is an audit event (in the same transaction, if given one). */
async function readTask(
  db: Db | pg.PoolClient,
  account: Account,
  lease: { requestId: string; expiresAt: Date },
  action: string,
): Promise<Task> {
  const details = await taskDetails(db, { requestId: lease.requestId, accountId: account.id })
  if (!details) throw new TaskErrors.TASK_NOT_FOUND()
  await audit(db, { accountId: account.id, action, requestId: lease.requestId })
  return { ...details, leaseExpiresAt: lease.expiresAt.toISOString() }
}

/**
 * Gives an available, approved volunteer the next request they can serve: the highest priority,
 * then the oldest, among the queues of their languages. A volunteer who already holds a lease
 * gets that task again. Null when nothing fits.
 */
export async function claim(deps: Deps, account: Account): Promise<Task | null> {
  assertCanWork(account)
  if (!account.available) throw new TaskErrors.NOT_AVAILABLE()
  const held = await leaseOfAccount(deps.db, account.id)
  if (held) return readTask(deps.db, account, held, 'task.read')
  for (let tries = 0; tries < 20; tries++) {
    const [language] = await redis(deps, () => bestQueue(deps.redis, deps.checkins.queues, account.languages))
    if (!language) return null
    const token = randomUUID()
    const job = await redis(deps, () => deps.checkins.workers[language].getNextJob(token, { block: false }))
    if (!job?.id) continue
    const { requestId } = CheckinJobSchema.parse(job.data)
    // The claim, the details read and its audit event commit together: no claim without its record.
    const task = await withTransaction(deps.db, async (client) => {
      const taken = await takeRequest(client, {
        requestId,
        accountId: account.id,
        queue: language,
        jobId: job.id as string,
        token,
        leaseSeconds: deps.config.LEASE_SECONDS,
      })
      return taken && readTask(client, account, { requestId, expiresAt: taken.expiresAt }, 'task.claimed')
    }).catch(async (err) => {
      // Not taken after all: give the job back before the error reaches the handler.
      await redis(deps, () => job.moveToWait(token)).catch(() => {})
      throw err
    })
    if (task) return task
    // The request was closed (cancelled, merged, answered) while its job waited: drop the job.
    await redis(deps, () => job.moveToCompleted('discarded', token, false))
  }
  return null
}

/** The live lease the volunteer holds on this task, with its BullMQ lock confirmed (and extended). */
export async function heldLease(deps: Deps, account: Account, reference: string): Promise<Lease> {
  const lease = await findLease(deps.db, { reference, accountId: account.id })
  if (!lease) throw new TaskErrors.NO_LEASE()
  const extended = await redis(deps, async () => {
    const job = await deps.checkins.queues[lease.queue].getJob(lease.jobId)
    // Redis forgot the job (emptied, or a failover): PostgreSQL's live lease is the truth and
    // stands; once the request is back in the queue the reconciler re-creates its job.
    if (!job) return 1
    return job.extendLock(lease.token, leaseMs(deps))
  })
  if (extended !== 1) throw new TaskErrors.NO_LEASE()
  return lease
}

export async function getTask(deps: Deps, account: Account, reference: string): Promise<Task> {
  assertCanWork(account)
  const lease = await findLease(deps.db, { reference, accountId: account.id })
  if (!lease) throw new TaskErrors.TASK_NOT_FOUND()
  return readTask(deps.db, account, lease, 'task.read')
}

export async function heartbeat(deps: Deps, account: Account, reference: string): Promise<Date> {
  const lease = await heldLease(deps, account, reference)
  const expiresAt = await extendLease(deps.db, { ...lease, seconds: deps.config.LEASE_SECONDS })
  if (!expiresAt) throw new TaskErrors.NO_LEASE()
  return expiresAt
}

export async function release(deps: Deps, account: Account, reference: string): Promise<void> {
  const lease = await heldLease(deps, account, reference)
  const ended = await endLease(deps.db, {
    requestId: lease.requestId,
    event: 'released',
    actorType: 'volunteer',
    actorId: account.id,
    token: lease.token,
  })
  if (!ended) throw new TaskErrors.NO_LEASE()
  await returnJob(deps, lease)
}

/**
 * Ends any lease at once (a coordinator's decision, or a suspension): the request goes back. In the
 * caller's transaction when given one (the job is then the caller's to return, after commit).
 */
export async function endLeaseNow(
  deps: Deps,
  lease: Lease,
  actor: { type: 'coordinator' | 'system'; id?: string },
): Promise<void> {
  const ended = await endLease(deps.db, {
    requestId: lease.requestId,
    event: 'lease_ended',
    actorType: actor.type,
    actorId: actor.id,
    token: lease.token,
  })
  if (ended) await returnJob(deps, lease)
}

export type OutcomeInput = {
  outcome: Outcome
  needs?: string[]
  messageToRequester?: string
  note?: string
  referral?: ReferralOfOutcome
}

/**
 * Records the outcome of the volunteer's call. Final outcomes close the request and tell every
 * linked requester; no_answer / busy put it back after a back-off until the attempts run out.
 * The database commits first: if the queue step then fails, the job's lock runs out, it comes
 * back, and a claim discards it because the request is closed (or serves it, if requeued).
 */
export async function submitOutcome(deps: Deps, account: Account, reference: string, input: OutcomeInput) {
  const lease = await heldLease(deps, account, reference)
  const result = await withTransaction(deps.db, async (client) => {
    // The lease must still be this one and live when the outcome commits: the request, then the
    // lease, locked until then (in the order a coordinator's cancel takes them).
    await lockRequest(client, reference)
    const live = await findLease(client, { reference, accountId: account.id, lock: true })
    if (live?.token !== lease.token) throw new TaskErrors.NO_LEASE()
    const done = await recordOutcome(client, {
      requestId: lease.requestId,
      accountId: account.id,
      outcome: input.outcome,
      needs: input.needs ?? [],
      messageToRequester: input.messageToRequester,
      note: input.note,
      maxAttempts: deps.config.MAX_CALL_ATTEMPTS,
    })
    if (done.status !== 'queued') {
      const kind = done.status as NotificationKind
      await addNotification(client, { requestId: lease.requestId, kind, message: input.messageToRequester })
    }
    // A family's needs go on to a partner, and an unreachable relative to a search partner, in this commit.
    await carryOn(client, {
      requestId: lease.requestId,
      status: done.status,
      referral: input.referral,
      volunteerId: account.id,
      autoHandOff: deps.config.SEARCH_HANDOFF_AUTO ?? false,
    })
    return done
  })
  const dueAt = result.status === 'queued' ? nextAttemptAt(new Date(), deps.config.RETRY_DELAYS_MINUTES, result.attempts) : null
  await redis(deps, async () => {
    const job = await deps.checkins.queues[lease.queue].getJob(lease.jobId)
    if (dueAt) await job?.moveToDelayed(dueAt.getTime(), lease.token)
    else await job?.moveToCompleted(result.status, lease.token, false)
  }).catch((err: Error) => deps.log.warn({ err, reference }, 'outcome recorded; the queue will catch up when the lock runs out'))
  return { status: result.status, attempts: result.attempts, nextAttemptAt: dueAt?.toISOString() ?? null }
}
