import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type pg from 'pg'
import type { Config } from '../config.js'
import { type Account, audit } from '../db/account-repository.js'
import { endLease, extendLease, findLease, type Lease, leaseOfAccount, takeRequest } from '../db/lease-repository.js'
import { addNotification, type NotificationKind } from '../db/notification-repository.js'
import { type Db, withTransaction } from '../db/pool.js'
import { type Outcome, recordOutcome, type TaskDetails, taskDetails } from '../db/task-repository.js'
import { AuthErrors, TaskErrors } from '../errors.js'
import { CheckinJobSchema } from '../queues/checkins.js'
import { bestQueue } from '../queues/checkins-hand.js'

type Deps = Pick<FastifyInstance, 'db' | 'redis' | 'checkins' | 'log'> & {
  config: Pick<Config, 'LEASE_SECONDS' | 'MAX_CALL_ATTEMPTS' | 'RETRY_DELAYS_MINUTES'>
}
export type Task = TaskDetails & { leaseExpiresAt: string }

const leaseMs = (deps: Deps) => deps.config.LEASE_SECONDS * 1000

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
  const details = await taskDetails(db, lease.requestId)
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
    const [language] = await bestQueue(deps.redis, deps.checkins.queues, account.languages)
    if (!language) return null
    const token = randomUUID()
    const job = await deps.checkins.workers[language].getNextJob(token, { block: false })
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
      await job.moveToWait(token).catch(() => {})
      throw err
    })
    if (task) return task
    // The request was closed (cancelled, merged, answered) while its job waited: drop the job.
    await job.moveToCompleted('discarded', token, false)
  }
  return null
}

/** The lease the volunteer holds on this task, with its BullMQ lock confirmed (and extended). */
export async function heldLease(deps: Deps, account: Account, reference: string): Promise<Lease> {
  const lease = await findLease(deps.db, { reference, accountId: account.id })
  if (!lease) throw new TaskErrors.NO_LEASE()
  const job = await deps.checkins.queues[lease.queue].getJob(lease.jobId)
  if (!job || (await job.extendLock(lease.token, leaseMs(deps))) !== 1) throw new TaskErrors.NO_LEASE()
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
  return extendLease(deps.db, lease.requestId, deps.config.LEASE_SECONDS)
}

export async function release(deps: Deps, account: Account, reference: string): Promise<void> {
  const lease = await heldLease(deps, account, reference)
  await endLease(deps.db, { requestId: lease.requestId, event: 'released', actorType: 'volunteer', actorId: account.id })
  await deps.checkins.queues[lease.queue].getJob(lease.jobId).then((job) => job?.moveToWait(lease.token))
}

/** Ends any lease at once (a coordinator's decision, or a suspension): the request goes back. */
export async function endLeaseNow(
  deps: Deps,
  lease: Lease,
  actor: { type: 'coordinator' | 'system'; id?: string },
): Promise<void> {
  await endLease(deps.db, { requestId: lease.requestId, event: 'lease_ended', actorType: actor.type, actorId: actor.id })
  const job = await deps.checkins.queues[lease.queue].getJob(lease.jobId)
  await job?.moveToWait(lease.token).catch((err: Error) => deps.log.warn({ err }, 'job already back in the queue'))
}

export type OutcomeInput = { outcome: Outcome; needs?: string[]; messageToRequester?: string; note?: string }

/**
 * Records the outcome of the volunteer's call. Final outcomes close the request and tell every
 * linked requester; no_answer / busy put it back after a back-off until the attempts run out.
 * The database commits first: if the queue step then fails, the job's lock runs out, it comes
 * back, and a claim discards it because the request is closed (or serves it, if requeued).
 */
export async function submitOutcome(deps: Deps, account: Account, reference: string, input: OutcomeInput) {
  const lease = await heldLease(deps, account, reference)
  const result = await withTransaction(deps.db, async (client) => {
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
    return done
  })
  const job = await deps.checkins.queues[lease.queue].getJob(lease.jobId)
  const delays = deps.config.RETRY_DELAYS_MINUTES
  const nextAttemptAt =
    result.status === 'queued'
      ? new Date(Date.now() + (delays[Math.min(result.attempts, delays.length) - 1] ?? 20) * 60_000)
      : null
  try {
    if (nextAttemptAt) await job?.moveToDelayed(nextAttemptAt.getTime(), lease.token)
    else await job?.moveToCompleted(result.status, lease.token, false)
  } catch (err) {
    deps.log.warn({ err, reference }, 'outcome recorded; the queue will catch up when the lock runs out')
  }
  return { status: result.status, attempts: result.attempts, nextAttemptAt: nextAttemptAt?.toISOString() ?? null }
}
