import type { Config } from '../config.js'
import { searchRecords } from '../db/partner-feed-repository.js'
import type { Db } from '../db/pool.js'
import { PartnerErrors } from '../errors.js'
import { PFIF_NS, personXml, pfifDomain } from './pfif.js'
import { auditPartnerRead, type PartnerCaller } from './referrals-partner.js'

type Deps = { db: Db; config: Pick<Config, 'PUBLIC_BASE_URL' | 'RETENTION_DAYS'> }

const document = (persons: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<pfif:pfif xmlns:pfif="${PFIF_NS}">\n${persons}</pfif:pfif>\n`

/**
 * A partner's search cases as a PFIF 1.4 document (the export's own person records), changed
 * after `since`; `next` is the `since` of the following pull. Every record sent is an audited read.
 */
export async function pfifFeed(deps: Deps, caller: PartnerCaller, since?: Date): Promise<{ xml: string; next: string | null }> {
  const records = await searchRecords(deps.db, { partnerId: caller.partnerId, since })
  await auditPartnerRead(
    deps.db,
    caller,
    'partner.pfif.feed',
    records.map((r) => ({ id: r.referralId })),
  )
  const options = { domain: pfifDomain(deps.config.PUBLIC_BASE_URL), retentionDays: deps.config.RETENTION_DAYS }
  const last = records.at(-1)
  return { xml: document(records.map((r) => personXml(r, options)).join('')), next: last ? last.changedAt.toISOString() : null }
}

/** The PFIF record of one search case of the caller's (404 otherwise, as for a case of another partner). */
export async function pfifRecord(deps: Deps, caller: PartnerCaller, referralId: string): Promise<string> {
  const [record] = await searchRecords(deps.db, { partnerId: caller.partnerId, referralId })
  if (!record) throw new PartnerErrors.REFERRAL_NOT_FOUND()
  await auditPartnerRead(deps.db, caller, 'partner.pfif.read', [{ id: record.referralId }])
  const options = { domain: pfifDomain(deps.config.PUBLIC_BASE_URL), retentionDays: deps.config.RETENTION_DAYS }
  return document(personXml(record, options))
}
