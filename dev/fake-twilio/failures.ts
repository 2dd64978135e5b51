import { type TwilioErrorBody, twilioError } from './resources.js'

/** Which create requests a failure applies to: `Messages`, `Calls`, or (by default) both. */
export type ResourcePath = 'Messages' | 'Calls'

interface Target {
  /** How many matching requests the failure answers. Default 1. */
  times?: number
  /** Only requests creating this resource. Default: any. */
  path?: ResourcePath
}

/**
 * A failure to inject into the next matching create request.
 * - `status` 429 / 5xx: a transient error (code 20429 / 20500 unless given).
 * - `status` 400 with a `code` (21610, 21211, 21614, 30003 …): a permanent error.
 * - `hang`: never answer; the socket stays open until `close()`, so the client must time out.
 * - `reset`: destroy the socket without answering (a network error for the client).
 * - `acceptThen`: record the resource as accepted, then hang or reset instead of answering 201.
 */
export type Failure = Target &
  (
    | { status: 429 | 500 | 502 | 503 | 504; code?: number; message?: string }
    | { status: 400 | 403 | 404; code: number; message?: string }
    | { hang: true }
    | { reset: true }
    | { acceptThen: 'hang' | 'reset' }
  )

/** What the server does with a request once a failure was taken for it. */
export type FailureAction =
  | { kind: 'error'; body: TwilioErrorBody }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'acceptThen'; after: 'hang' | 'reset' }

function actionOf(failure: Failure): FailureAction {
  if ('hang' in failure) return { kind: 'hang' }
  if ('reset' in failure) return { kind: 'reset' }
  if ('acceptThen' in failure) return { kind: 'acceptThen', after: failure.acceptThen }
  const code = failure.code ?? (failure.status === 429 ? 20429 : 20500)
  return { kind: 'error', body: twilioError(failure.status, code, failure.message) }
}

/** Failures waiting to be used, in the order they were queued. */
export class FailureQueue {
  private readonly pending: Array<{ failure: Failure; left: number }> = []

  push(failure: Failure): void {
    const times = failure.times ?? 1
    if (!Number.isInteger(times) || times < 1) throw new RangeError(`times must be a positive integer, got ${times}`)
    this.pending.push({ failure, left: times })
  }

  /** Uses up one turn of the first failure that applies to `path`, if any. */
  take(path: ResourcePath): FailureAction | undefined {
    const index = this.pending.findIndex(({ failure }) => failure.path === undefined || failure.path === path)
    const entry = this.pending[index]
    if (!entry) return undefined
    entry.left -= 1
    if (entry.left === 0) this.pending.splice(index, 1)
    return actionOf(entry.failure)
  }

  clear(): void {
    this.pending.length = 0
  }
}
