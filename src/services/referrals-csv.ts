import { pipeline, Readable } from 'node:stream'
import { stringify } from 'csv-stringify'
import type { Db } from '../db/pool.js'
import { type ReferralExportFilter, type ReferralExportRow, referralBatches } from '../db/referral-export-repository.js'
import { neutraliseFormula } from './csv-export.js'

/** Columns of every referrals export: the request's reference joins it to the requests' export. */
export const REFERRAL_CSV_COLUMNS = [
  'referral_id',
  'reference',
  'kind',
  'state',
  'partner_id',
  'partner_name',
  'categories',
  'consent',
  'declined_by_count',
  'created_at',
  'offered_at',
  'escalated_at',
  'updated_at',
  'closed_at',
] as const

/** Added by `personal=true`: the volunteer's note (free text about the family). */
export const REFERRAL_CSV_PERSONAL_COLUMNS = ['note'] as const

const date = (value: Date | null) => (value ? value.toISOString() : '')

/** One CSV record of a referral; typed text (partner name, note) is neutralised against formulas. */
export function referralRecord(row: ReferralExportRow, personal: boolean): string[] {
  const record = [
    row.id,
    row.reference,
    row.kind,
    row.state,
    row.partnerId ?? '',
    neutraliseFormula(row.partnerName ?? ''),
    row.categories.join(';'),
    String(row.consent),
    String(row.declinedBy),
    date(row.createdAt),
    date(row.offeredAt),
    date(row.escalatedAt),
    date(row.updatedAt),
    date(row.closedAt),
  ]
  return personal ? [...record, neutraliseFormula(row.note ?? '')] : record
}

async function* records(db: Db, options: { filter: ReferralExportFilter; personal: boolean; batchSize?: number }) {
  for await (const batch of referralBatches(db, options)) for (const row of batch) yield referralRecord(row, options.personal)
}

/** The referrals as a CSV stream, as the requests' export makes it (BOM, CRLF, an error destroys the stream). */
export function referralsCsv(db: Db, options: { filter: ReferralExportFilter; personal: boolean; batchSize?: number }): Readable {
  const columns = options.personal ? [...REFERRAL_CSV_COLUMNS, ...REFERRAL_CSV_PERSONAL_COLUMNS] : [...REFERRAL_CSV_COLUMNS]
  return pipeline(
    Readable.from(records(db, options)),
    stringify({ header: true, columns, bom: true, record_delimiter: 'windows' }),
    () => {},
  )
}
