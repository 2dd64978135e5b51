import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.js'
import type { Account } from '../db/account-repository.js'
import { openAttemptId, recordCall, taskDetails } from '../db/task-repository.js'
import { TaskErrors } from '../errors.js'
import { bridgeTwiml } from '../twilio/twiml.js'
import { heldLease, type TaskDeps } from './tasks.js'

type Deps = TaskDeps &
  Pick<FastifyInstance, 'twilio'> & {
    config: Pick<Config, 'PUBLIC_BASE_URL' | 'TWILIO_FROM' | 'TWILIO_VOICE_FROM'>
  }

/**
 * Calls the volunteer and, when they answer, bridges them to the relative (the service pays, and
 * masks both numbers). The call's progress lands on the attempt through the status callbacks.
 */
export async function startBridgedCall(deps: Deps, account: Account, reference: string): Promise<string> {
  const lease = await heldLease(deps, account, reference)
  const [attemptId, task] = await Promise.all([
    openAttemptId(deps.db, lease.requestId, account.id),
    taskDetails(deps.db, { requestId: lease.requestId, accountId: account.id }),
  ])
  const relativePhone = task?.relative.phone
  if (!attemptId || !relativePhone) throw new TaskErrors.NO_LEASE()
  const callerId = deps.config.TWILIO_VOICE_FROM ?? deps.config.TWILIO_FROM
  const base = deps.config.PUBLIC_BASE_URL.replace(/\/$/, '')
  const twiml = bridgeTwiml({
    language: account.languages[0] ?? 'ru',
    callerId,
    relativePhone,
    dialActionUrl: `${base}/twilio/bridge/dial?attempt=${attemptId}`,
  })
  try {
    const call = await deps.twilio.calls.create({
      to: account.phone,
      from: callerId,
      twiml,
      statusCallback: `${base}/twilio/bridge/status?attempt=${attemptId}`,
      statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
    })
    await recordCall(deps.db, { attemptId, callSid: call.sid, callStatus: call.status })
    return call.sid
  } catch (err) {
    const e = err as { status?: number; code?: number }
    deps.log.warn({ status: e.status, code: e.code, reference }, 'bridged call could not start')
    throw new TaskErrors.CALL_FAILED()
  }
}
