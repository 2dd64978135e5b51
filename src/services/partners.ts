import { randomBytes } from 'node:crypto'
import type { z } from 'zod'
import { type Account, audit } from '../db/account-repository.js'
import {
  findPartner,
  insertKey,
  insertPartner,
  insertPartnerAccount,
  listKeys,
  type Partner,
  type PartnerKey,
  revokeKey,
  updatePartner,
} from '../db/partner-repository.js'
import { type Db, withTransaction } from '../db/pool.js'
import { cityKey } from '../domain/city.js'
import { AuthErrors, PartnerErrors } from '../errors.js'
import type { PartnerAccountBody, PartnerBody, PartnerPatch } from '../schemas/partners.js'
import { hashPassword, hashToken } from './auth.js'

/**
 * Partner organisations as coordinators run them: register, edit, their accounts and API keys.
 * Every change is an audit event with the coordinator as actor; a webhook secret is never shown.
 */
type Deps = { db: Db }

/** What marks a partner API key in `Authorization: Bearer …` (a session token never starts so). */
export const KEY_PREFIX = 'bpk_'

/** Whether a bearer credential is a partner key rather than a session token. */
export const isPartnerKey = (token: string) => token.startsWith(KEY_PREFIX)

// Regions as typed ("Алма-Ата", "Almaty") become the city keys requests are grouped under.
const regionKeys = (regions: string[] | undefined) => (regions ? [...new Set(regions.map(cityKey))] : undefined)

export async function registerPartner(deps: Deps, by: string, input: z.output<typeof PartnerBody>): Promise<Partner> {
  return withTransaction(deps.db, async (client) => {
    const partner = await insertPartner(client, { ...input, regions: regionKeys(input.regions) ?? [] })
    await audit(client, { accountId: by, action: 'partner.created', data: { partner: partner.id } })
    return partner
  })
}

export async function editPartner(deps: Deps, by: string, id: string, input: z.output<typeof PartnerPatch>): Promise<Partner> {
  return withTransaction(deps.db, async (client) => {
    const partner = await updatePartner(client, id, { ...input, regions: regionKeys(input.regions) })
    if (!partner) throw new PartnerErrors.PARTNER_NOT_FOUND()
    // The fields changed are recorded, never their values (a secret among them).
    await audit(client, { accountId: by, action: 'partner.edited', data: { partner: id, fields: Object.keys(input) } })
    return partner
  })
}

export async function addPartnerAccount(
  deps: Deps,
  by: string,
  partnerId: string,
  input: z.output<typeof PartnerAccountBody>,
): Promise<Account> {
  const passwordHash = await hashPassword(input.password)
  return withTransaction(deps.db, async (client) => {
    if (!(await findPartner(client, partnerId))) throw new PartnerErrors.PARTNER_NOT_FOUND()
    const account = await insertPartnerAccount(client, {
      partnerId,
      name: input.name,
      phone: input.phone.e164,
      email: input.email,
      passwordHash,
      languages: [...new Set(input.languages)],
    })
    if (!account) throw new AuthErrors.ACCOUNT_EXISTS()
    await audit(client, { accountId: by, action: 'partner.account_created', data: { partner: partnerId, account: account.id } })
    return account
  })
}

/** Issues a key: the token is returned once, only its sha256 is kept. */
export async function issueKey(deps: Deps, by: string, partnerId: string, label: string): Promise<PartnerKey & { key: string }> {
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`
  return withTransaction(deps.db, async (client) => {
    if (!(await findPartner(client, partnerId))) throw new PartnerErrors.PARTNER_NOT_FOUND()
    const stored = await insertKey(client, { partnerId, keyHash: hashToken(key), prefix: key.slice(0, 10), label })
    await audit(client, { accountId: by, action: 'partner.key_issued', data: { partner: partnerId, key: stored.id } })
    return { ...stored, key }
  })
}

export async function revokePartnerKey(deps: Deps, by: string, partnerId: string, keyId: string): Promise<void> {
  await withTransaction(deps.db, async (client) => {
    if (!(await revokeKey(client, partnerId, keyId))) throw new PartnerErrors.KEY_NOT_FOUND()
    await audit(client, { accountId: by, action: 'partner.key_revoked', data: { partner: partnerId, key: keyId } })
  })
}

export async function keysOf(deps: Deps, partnerId: string): Promise<PartnerKey[]> {
  if (!(await findPartner(deps.db, partnerId))) throw new PartnerErrors.PARTNER_NOT_FOUND()
  return listKeys(deps.db, partnerId)
}
