/**
 * Volunteers at work for as long as a run lasts: claim, "call" for a while, record an outcome
 * (mostly reached_safe; some needs help, no answer, wrong number, a message to the requester now
 * and then), and start over; an empty queue or a failed call means a pause, not the end. Unlike
 * the claims benchmark's volunteers they never stop on their own before the deadline. Who held
 * which request when is kept, to find a request two volunteers acted on at once.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type pg from 'pg'
import { hashPassword } from '../src/services/auth.js'
import { insertVolunteers } from './backlog.js'
import type { Recorder } from './recorder.js'
import { type ApiClient, failureKey, logIn, type Reply, type Volunteer } from './volunteers.js'

const PASSWORD = 'bench volunteer password'
const OUTCOMES = [
  [0.72, { outcome: 'reached_safe' }],
  [0.1, { outcome: 'reached_safe', messageToRequester: 'Всё хорошо, мама дома.' }],
  [0.08, { outcome: 'reached_needs_help', needs: ['food', 'medicine'] }],
  [0.06, { outcome: 'no_answer' }],
  [0.04, { outcome: 'wrong_number' }],
] as const

/** The outcome whose share of [0, 1) holds `x`. */
function pickOutcome(x: number) {
  let rest = x
  for (const [share, body] of OUTCOMES) {
    rest -= share
    if (rest < 0) return body
  }
  return OUTCOMES[0][1]
}

/** One volunteer's hold on a request: from the claim's answer until the outcome's (or giving up). */
export type Hold = { volunteer: number; claimedAt: number; outcomeAt?: number; endedAt?: number }

export class Crew {
  readonly holds = new Map<string, Hold[]>()
  readonly counts = { claims: 0, empty: 0, outcomes: 0, lostLeases: 0, gaveUp: 0, stoppedMidTask: 0 }
  readonly failures: Record<string, number> = {}

  constructor(
    private readonly api: ApiClient,
    private readonly recorder: Recorder,
    private readonly thinkMs: number,
  ) {}

  private async call(route: string, method: 'POST', path: string, v: Volunteer, json?: unknown): Promise<Reply> {
    const reply = await this.api.call(method, path, { token: v.token, json })
    this.recorder.add(route, reply.ms, reply.error === undefined ? String(reply.status) : reply.error)
    return reply
  }

  private fail(what: string, reply: Reply) {
    const key = `${what} ${failureKey(reply)}`
    this.failures[key] = (this.failures[key] ?? 0) + 1
  }

  /** Tries the outcome for up to ~30 s while the service is away; a lost lease ends the hold. */
  private async finish(v: Volunteer, reference: string, hold: Hold, until: () => boolean) {
    const body = pickOutcome(Math.random())
    for (let tries = 0; tries < 15 && !until(); tries++) {
      const reply = await this.call('POST /api/v1/tasks/:id/outcome', 'POST', `/api/v1/tasks/${reference}/outcome`, v, body)
      if (reply.error === undefined && reply.status === 200) {
        this.counts.outcomes++
        hold.outcomeAt = hold.endedAt = Date.now()
        return
      }
      this.fail('outcome', reply)
      if (reply.error === undefined && reply.status >= 400 && reply.status < 500 && reply.status !== 429) {
        this.counts.lostLeases++
        hold.endedAt = Date.now()
        return
      }
      await sleep(2000)
    }
    if (until()) this.counts.stoppedMidTask++
    else this.counts.gaveUp++
    hold.endedAt = Date.now()
  }

  /** One volunteer until the deadline (or `stopped`), bounded in iterations too. */
  async work(v: Volunteer, o: { deadline: number; stopped: () => boolean; maxIterations: number }) {
    const over = () => o.stopped() || Date.now() >= o.deadline
    await sleep(this.thinkMs * Math.random())
    for (let i = 0; i < o.maxIterations && !over(); i++) {
      const claim = await this.call('POST /api/v1/tasks/claim', 'POST', '/api/v1/tasks/claim', v)
      if (claim.error === undefined && claim.status === 204) {
        this.counts.empty++
        await sleep(500 + 1000 * Math.random())
        continue
      }
      const reference =
        (claim.error === undefined &&
          claim.status === 200 &&
          (claim.body as { task?: { reference?: string } })?.task?.reference) ||
        undefined
      if (!reference) {
        this.fail('claim', claim)
        await sleep(1000)
        continue
      }
      this.counts.claims++
      const hold: Hold = { volunteer: v.index, claimedAt: Date.now() }
      this.holds.set(reference, [...(this.holds.get(reference) ?? []), hold])
      await sleep(this.thinkMs * (0.5 + Math.random()))
      await this.finish(v, reference, hold, over)
    }
  }

  /**
   * References two volunteers acted on at once: B's claim was answered after A's and before A's
   * outcome was accepted. (A volunteer who gave up or lost the lease holds nothing any more.)
   */
  doubleHolds(): string[] {
    const found: string[] = []
    for (const [reference, holds] of this.holds) {
      const overlap = holds.some((a) =>
        holds.some(
          (b) =>
            a.volunteer !== b.volunteer && a.outcomeAt !== undefined && b.claimedAt > a.claimedAt && b.claimedAt < a.outcomeAt,
        ),
      )
      if (overlap) found.push(reference)
    }
    return found
  }
}

/** `count` approved, available volunteers (SQL, one argon2 hash), logged in through the API. */
export async function hireVolunteers(db: pg.Pool, api: ApiClient, count: number, stopped: () => boolean) {
  const accounts = await insertVolunteers(db, count, await hashPassword(PASSWORD))
  return (await logIn(api, accounts, PASSWORD, stopped)).volunteers
}
