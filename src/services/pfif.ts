import { Readable } from 'node:stream'
import { type ExportFilter, type OutcomeEvent, type PfifRequest, pfifBatches } from '../db/export-repository.js'
import type { Db } from '../db/pool.js'

/** The XML namespace of PFIF 1.4 (http://zesty.ca/pfif/1.4/). */
export const PFIF_NS = 'http://zesty.ca/pfif/1.4'

/** The name Bailanys signs its records with (`author_name`, `source_name`). */
const SERVICE = 'Bailanys'

export type PfifStatus = 'information_sought' | 'is_note_author' | 'believed_alive' | 'believed_missing' | 'believed_dead'

/**
 * How a recorded call outcome reads in PFIF. The texts are short, neutral and carry nothing
 * personal: not the volunteer, not the needs they noted, not the message to the requester.
 */
const OUTCOME_NOTES: Record<string, { status: PfifStatus; madeContact: boolean; text: string }> = {
  reached_safe: {
    status: 'believed_alive',
    madeContact: true,
    text: 'A Bailanys volunteer reached this person by phone; they said they are safe.',
  },
  reached_needs_help: {
    status: 'believed_alive',
    madeContact: true,
    text: 'A Bailanys volunteer reached this person by phone; they are alive and asked for help.',
  },
  wrong_number: {
    status: 'information_sought',
    madeContact: false,
    text: 'A Bailanys volunteer called the number given for this person; it was a wrong number.',
  },
  unreachable: {
    status: 'information_sought',
    madeContact: false,
    text: 'Bailanys volunteers called this person several times without reaching them.',
  },
  no_answer: {
    status: 'information_sought',
    madeContact: false,
    text: 'A Bailanys volunteer called this person; nobody answered.',
  },
  busy: { status: 'information_sought', madeContact: false, text: 'A Bailanys volunteer called this person; the line was busy.' },
}
const OTHER_OUTCOME = {
  status: 'information_sought',
  madeContact: false,
  text: 'A Bailanys volunteer tried to call this person.',
} as const

/** The domain that prefixes record ids: the host name of the public URL (a port is no part of a domain). */
export function pfifDomain(publicBaseUrl: string): string {
  return new URL(publicBaseUrl).hostname
}

/** A PFIF date: UTC, whole seconds, `YYYY-MM-DDTHH:MM:SSZ`. */
export function pfifDate(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`
}

// Characters XML 1.0 cannot carry at all, escaped or not (controls, lone surrogates, U+FFFE/F).
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }

/** Text safe as XML element content: entities escaped, characters XML forbids dropped. */
export function xmlEscape(value: string): string {
  return value.replace(NOT_XML, '').replace(/[&<>"']/g, (ch) => ENTITIES[ch] as string)
}

/** Fields of a record in schema order; empty ones are left out. */
function fields(indent: string, values: [string, string | null | undefined][]): string {
  let xml = ''
  for (const [name, value] of values) {
    if (value) xml += `${indent}<pfif:${name}>${xmlEscape(value)}</pfif:${name}>\n`
  }
  return xml
}

function note(indent: string, values: [string, string | null | undefined][]): string {
  return `${indent}<pfif:note>\n${fields(`${indent}  `, values)}${indent}</pfif:note>\n`
}

function outcomeNote(domain: string, personId: string, event: OutcomeEvent): string {
  const mapped = OUTCOME_NOTES[event.outcome] ?? OTHER_OUTCOME
  return note('    ', [
    ['note_record_id', `${domain}/note.${event.id}`],
    ['person_record_id', personId],
    ['entry_date', pfifDate(event.at)],
    ['author_name', SERVICE],
    ['source_date', pfifDate(event.at)],
    ['author_made_contact', String(mapped.madeContact)],
    ['status', mapped.status],
    ['text', mapped.text],
  ])
}

/**
 * One request as a PFIF person with its notes. PFIF exists to share names, so the person
 * carries the relative's name, the other names linked requesters gave, and the city as typed;
 * the least that lets a person finder match a record. Phones, address and the requester's notes
 * stay out (they locate a family, which a name does not); so do sex and age, which we do not
 * ask. A closed request expires when our retention purge will blank it, so that copies elsewhere
 * are deleted when ours is.
 */
export function personXml(request: PfifRequest, options: { domain: string; retentionDays: number }): string {
  const { domain, retentionDays } = options
  const personId = `${domain}/request.${request.reference}`
  const expiry = request.closedAt && new Date(request.closedAt.getTime() + retentionDays * 86_400_000)
  const created = pfifDate(request.createdAt)
  // The request's own note: someone is looking for this person. The service signs it, not the
  // requester: requesters are the people at risk, and PFIF copies travel beyond our retention.
  const sought = note('    ', [
    ['note_record_id', `${domain}/note.request.${request.reference}`],
    ['person_record_id', personId],
    ['entry_date', created],
    ['author_name', SERVICE],
    ['source_date', created],
    ['author_made_contact', 'false'],
    ['status', 'information_sought'],
    ['text', 'A relative asked Bailanys to check on this person by phone.'],
  ])
  return `  <pfif:person>\n${fields('    ', [
    ['person_record_id', personId],
    ['entry_date', created],
    ['expiry_date', expiry ? pfifDate(expiry) : null],
    ['author_name', SERVICE],
    ['source_name', SERVICE],
    ['source_date', created],
    ['full_name', request.relativeName],
    ['alternate_names', request.relativeOtherNames.join('\n')],
    ['home_city', request.relativeCity],
  ])}${sought}${request.outcomes.map((e) => outcomeNote(domain, personId, e)).join('')}  </pfif:person>\n`
}

async function* documentChunks(
  db: Db,
  options: { filter: ExportFilter; domain: string; retentionDays: number; batchSize?: number },
) {
  yield `<?xml version="1.0" encoding="UTF-8"?>\n<pfif:pfif xmlns:pfif="${PFIF_NS}">\n`
  for await (const batch of pfifBatches(db, options)) yield batch.map((r) => personXml(r, options)).join('')
  yield '</pfif:pfif>\n'
}

/** The requests as a PFIF 1.4 document, streamed batch by batch as the client reads it. */
export function pfifExport(
  db: Db,
  options: { filter: ExportFilter; domain: string; retentionDays: number; batchSize?: number },
): Readable {
  return Readable.from(documentChunks(db, options), { objectMode: false })
}
