import { pipeline, Readable } from 'node:stream'
import { stringify } from 'csv-stringify'
import { type ExportFilter, type ExportRow, requestBatches } from '../db/export-repository.js'
import type { Db } from '../db/pool.js'
import { KZ_CITIES } from '../domain/kz-cities.js'

/** Columns of every export: no name, phone, address or free text of anyone. */
export const CSV_COLUMNS = [
  'reference',
  'status',
  'source',
  'requester_language',
  'notify_via',
  'city_key',
  'elderly',
  'medical',
  'children',
  'disability',
  'priority',
  'attempts',
  'requesters',
  'created_at',
  'updated_at',
  'closed_at',
  'latest_outcome',
] as const

/** Columns added by `personal=true`. */
export const CSV_PERSONAL_COLUMNS = [
  'requester_name',
  'requester_phone',
  'relative_name',
  'relative_other_names',
  'relative_phone',
  'relative_alt_phone',
  'relative_city',
  'relative_address',
  'relative_notes',
] as const

const KNOWN_CITIES = new Set<string>(KZ_CITIES.map((c) => c.id))

/**
 * OWASP's CSV-injection defence: a cell a spreadsheet would read as a formula (starting with
 * =, +, -, @, tab or carriage return) gets a leading apostrophe. Applied only to text people
 * typed (names, city, address, notes, an unknown city's key). Phones are left alone on purpose:
 * they are validated E.164 (`+` then digits only) before they reach the database, so they can
 * hold no formula, and an apostrophe would corrupt every one of them. References, states and
 * the other columns come from fixed alphabets the service itself writes.
 */
export function neutraliseFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
}

const text = (value: string | null) => (value === null ? '' : neutraliseFormula(value))
const date = (value: Date | null) => (value ? value.toISOString() : '')

/** One CSV record of a request, in the order of the header. */
export function csvRecord(row: ExportRow): string[] {
  const p = row.personal
  // A place outside the city list is keyed by the folded text the requester typed (a village,
  // sometimes a street): that is only shown next to the other personal columns.
  const cityKey = p || KNOWN_CITIES.has(row.cityKey) ? row.cityKey : 'other'
  const record = [
    row.reference,
    row.status,
    row.source,
    row.requesterLanguage,
    row.notifyVia,
    text(cityKey),
    String(row.flags.elderly),
    String(row.flags.medical),
    String(row.flags.children),
    String(row.flags.disability),
    String(row.priority),
    String(row.attempts),
    String(row.requesters),
    date(row.createdAt),
    date(row.updatedAt),
    date(row.closedAt),
    row.latestOutcome ?? '',
  ]
  if (!p) return record
  return [
    ...record,
    text(p.requesterName),
    p.requesterPhone ?? '',
    text(p.relativeName),
    text(p.relativeOtherNames.join('; ')),
    p.relativePhone ?? '',
    p.relativeAltPhone ?? '',
    text(p.relativeCity),
    text(p.relativeAddress),
    text(p.relativeNotes),
  ]
}

async function* records(db: Db, options: { filter: ExportFilter; personal: boolean; batchSize?: number }) {
  for await (const batch of requestBatches(db, options)) for (const row of batch) yield csvRecord(row)
}

/**
 * The requests as a CSV stream (RFC 4180 line ends; UTF-8 with a BOM, so that a spreadsheet shows
 * Cyrillic rather than mojibake), read from PostgreSQL batch by batch as the client takes it. A database error
 * midway destroys the stream, so a truncated file is never mistaken for a whole one.
 */
export function csvExport(db: Db, options: { filter: ExportFilter; personal: boolean; batchSize?: number }): Readable {
  const columns = options.personal ? [...CSV_COLUMNS, ...CSV_PERSONAL_COLUMNS] : [...CSV_COLUMNS]
  // The error reaches the consumer through the returned stream, which pipeline destroys with it.
  return pipeline(
    Readable.from(records(db, options)),
    stringify({ header: true, columns, bom: true, record_delimiter: 'windows' }),
    () => {},
  )
}
