/**
 * A volunteer's lifecycle as coordinators run it — add, approve, edit, suspend — in one place,
 * for the JSON API and the coordinator's pages alike: the same rules, the same coded refusals
 * (src/errors.ts), the same audit events, each change committed with its audit event.
 */
import type { z } from 'zod'
import { type Account, audit, editVolunteer as editAccount, insertAccount, setStatus } from '../db/account-repository.js'
import { endLease, type Lease, leasesOfAccount } from '../db/lease-repository.js'
import { withTransaction } from '../db/pool.js'
import { revokeAllSessions } from '../db/session-repository.js'
import type { Language } from '../domain/request-states.js'
import { AuthErrors } from '../errors.js'
import type { CreateVolunteerRoute } from '../schemas/accounts.js'
import { hashPassword } from './auth.js'
import { returnJob, type TaskDeps } from './tasks.js'

/** A new volunteer as `CreateVolunteerRoute.body` gives it (the API through its route, the page by parsing its form). */
export type NewVolunteer = z.output<typeof CreateVolunteerRoute.body>

/** PostgreSQL's unique_violation: a phone or email that another account has. */
const UNIQUE_VIOLATION = '23505'

/** Adds a volunteer, pending until approved; 409 ACCOUNT_EXISTS when the phone or email is taken. */
export async function createVolunteer(deps: Pick<TaskDeps, 'db'>, by: string, input: NewVolunteer): Promise<Account> {
  const passwordHash = await hashPassword(input.password)
  return withTransaction(deps.db, async (client) => {
    const created = await insertAccount(client, {
      role: 'volunteer',
      name: input.name,
      phone: input.phone.e164,
      email: input.email,
      languages: [...new Set(input.languages)],
      passwordHash,
      status: 'pending',
    })
    if (!created) throw new AuthErrors.ACCOUNT_EXISTS()
    await audit(client, { accountId: by, action: 'volunteer.created', data: { volunteer: created.id } })
    return created
  })
}

/** Approves (or reinstates) a volunteer; 404 ACCOUNT_NOT_FOUND for an unknown id. */
export async function approveVolunteer(deps: Pick<TaskDeps, 'db'>, by: string, id: string): Promise<Account> {
  return withTransaction(deps.db, async (client) => {
    const account = await setStatus(client, id, 'approved')
    if (!account) throw new AuthErrors.ACCOUNT_NOT_FOUND()
    await audit(client, { accountId: by, action: 'volunteer.approved', data: { volunteer: account.id } })
    return account
  })
}

/** Edits a volunteer's name, email or languages; 409 when the email is another account's. */
export async function editVolunteer(
  deps: Pick<TaskDeps, 'db'>,
  by: string,
  id: string,
  edit: { name?: string; email?: string; languages?: Language[] },
): Promise<Account> {
  const fields = Object.keys(edit).filter((k) => edit[k as keyof typeof edit] !== undefined)
  return withTransaction(deps.db, async (client) => {
    const account = await editAccount(client, id, {
      ...edit,
      languages: edit.languages && [...new Set(edit.languages)],
    }).catch((err: { code?: string }) => {
      throw err.code === UNIQUE_VIOLATION ? new AuthErrors.ACCOUNT_EXISTS() : err
    })
    if (!account) throw new AuthErrors.ACCOUNT_NOT_FOUND()
    await audit(client, { accountId: by, action: 'volunteer.edited', data: { volunteer: id, fields } })
    return account
  })
}

/**
 * Suspends a volunteer: the status, the end of every lease they hold (each request goes back to
 * `queued` with an event naming the coordinator), their sessions and the audit event commit
 * together or not at all. The jobs go back to the queue only after the commit (best effort: a job
 * whose lock runs out comes back by itself).
 */
export async function suspendVolunteer(deps: TaskDeps, by: string, id: string): Promise<Account> {
  const { account, ended } = await withTransaction(deps.db, async (client) => {
    const account = await setStatus(client, id, 'suspended')
    if (!account) throw new AuthErrors.ACCOUNT_NOT_FOUND()
    const ended: Lease[] = []
    for (const lease of await leasesOfAccount(client, id)) {
      const end = await endLease(client, {
        requestId: lease.requestId,
        event: 'lease_ended',
        actorType: 'coordinator',
        actorId: by,
        token: lease.token,
      })
      if (end) ended.push(end)
    }
    await revokeAllSessions(client, id)
    await audit(client, { accountId: by, action: 'volunteer.suspended', data: { volunteer: id, leasesEnded: ended.length } })
    return { account, ended }
  })
  for (const lease of ended) await returnJob(deps, lease)
  return account
}
