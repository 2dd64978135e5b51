/**
 * The claims benchmark's data, written straight into its schema in one statement each: a backlog
 * of requests as the intake's INSERT_REQUEST (src/db/request-repository.ts) writes a request that
 * came by SMS (the request, its requester, its 'received' event and its 'checkins.enqueue' outbox
 * row; an SMS request gets no "received" notification, its SMS reply gave the reference), and
 * approved, available volunteers sharing one argon2 password hash.
 */
import type pg from 'pg'
import { cityKey } from '../src/domain/city.js'
import { normalisePhone } from '../src/domain/phone.js'
import { NORMAL_PRIORITY, priorityFromFlags } from '../src/domain/priority.js'
import { newReference } from '../src/domain/reference.js'
import type { Language } from '../src/domain/request-states.js'
import { bodyGenerator } from './bodies.js'

/** The volunteers' languages, in turn: one, two or three languages each. */
export const LANGUAGE_SETS: Language[][] = [['ru', 'kk'], ['ru'], ['en', 'ru'], ['kk'], ['en'], ['kk', 'ru', 'en']]

function e164(typed: string): string {
  const phone = normalisePhone(typed)
  if (!phone.ok) throw new Error(`the body generator made an invalid phone: ${typed}`)
  return phone.e164
}

const INSERT_BACKLOG = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                       $9::text[], $10::text[], $11::text[], $12::bool[], $13::bool[], $14::bool[], $15::bool[], $16::int[])
    WITH ORDINALITY AS i (reference, requester_name, requester_phone, requester_language, notify_via, relative_name,
                          relative_phone, relative_city, city_key, relative_address, relative_notes, flag_elderly,
                          flag_medical, flag_children, flag_disability, priority, n)
), r AS (
  INSERT INTO requests (reference, requester_name, requester_phone, requester_language, notify_via, relative_name,
    relative_phone, relative_city, city_key, relative_address, relative_notes, flag_elderly, flag_medical,
    flag_children, flag_disability, priority, source)
  SELECT reference, requester_name, requester_phone, requester_language, notify_via, relative_name, relative_phone,
    relative_city, city_key, relative_address, relative_notes, flag_elderly, flag_medical, flag_children,
    flag_disability, priority, 'sms'
  FROM input ORDER BY n
  RETURNING id, requester_phone, requester_name, requester_language, notify_via
), q AS (
  INSERT INTO request_requesters (request_id, phone, name, language, notify_via)
  SELECT id, requester_phone, requester_name, requester_language, notify_via FROM r
), e AS (
  INSERT INTO request_events (request_id, type, to_status, actor_type, data)
  SELECT id, 'received', 'received', 'requester', jsonb_build_object('source', 'sms') FROM r
)
INSERT INTO outbox (topic, request_id) SELECT 'checkins.enqueue', id FROM r ORDER BY id`

export type BacklogShape = { byLanguage: Record<string, number>; byPriority: Record<string, number> }

/**
 * Inserts `count` requests, committed at once: valid, distinct E.164 phones (the intake
 * benchmark's generator, normalised as the intake does), Kazakh/Russian/English requesters
 * (1:2:1), priorities 1–10: from the flags as the intake computes them (1–5 or 10), and for a
 * third of the unflagged ones a coordinator's 6–9.
 */
export async function insertBacklog(db: pg.Pool, count: number): Promise<BacklogShape> {
  const bodies = bodyGenerator()
  const cols: unknown[][] = Array.from({ length: 16 }, () => [])
  const references = new Set<string>()
  const byLanguage: Record<string, number> = {}
  const byPriority: Record<string, number> = {}
  for (let i = 0; i < count; i++) {
    const b = bodies.next()
    let reference = newReference()
    while (references.has(reference)) reference = newReference()
    references.add(reference)
    let priority = priorityFromFlags(b.flags)
    if (priority === NORMAL_PRIORITY && i % 3 === 0) priority = 6 + (i % 4)
    const row = [
      reference,
      b.requester.name,
      e164(b.requester.phone),
      b.requester.language,
      'sms',
      b.relative.name,
      e164(b.relative.phone),
      b.relative.city,
      cityKey(b.relative.city),
      b.relative.address ?? null,
      b.relative.notes ?? null,
      b.flags.elderly,
      b.flags.medical,
      b.flags.children,
      b.flags.disability,
      priority,
    ]
    for (const [c, value] of row.entries()) cols[c]?.push(value)
    byLanguage[b.requester.language] = (byLanguage[b.requester.language] ?? 0) + 1
    byPriority[priority] = (byPriority[priority] ?? 0) + 1
  }
  await db.query(INSERT_BACKLOG, cols)
  return { byLanguage, byPriority }
}

export type VolunteerAccount = { index: number; id: string; phone: string; languages: Language[] }

/**
 * Inserts `count` volunteers (approved, available), as the admin CLI and an approval would leave
 * them, all with the one password hash given. Phones +7 700 …, a code the requests never use.
 */
export async function insertVolunteers(db: pg.Pool, count: number, passwordHash: string): Promise<VolunteerAccount[]> {
  const offset = Math.floor(Math.random() * 9_000_000)
  const wanted = Array.from({ length: count }, (_, index) => ({
    index,
    phone: e164(`+7700${String(offset + index).padStart(7, '0')}`),
    languages: LANGUAGE_SETS[index % LANGUAGE_SETS.length] as Language[],
  }))
  const { rows } = await db.query<{ id: string; phone: string }>(
    `INSERT INTO accounts (role, name, phone, password_hash, languages, status, available)
     SELECT 'volunteer', 'Volunteer ' || n, phone, $3, string_to_array(langs, ','), 'approved', true
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS v (phone, langs, n)
     RETURNING id::text, phone`,
    [wanted.map((v) => v.phone), wanted.map((v) => v.languages.join(',')), passwordHash],
  )
  const ids = new Map(rows.map((r) => [r.phone, r.id]))
  return wanted.map((v) => {
    const id = ids.get(v.phone)
    if (!id) throw new Error(`volunteer ${v.phone} was not inserted`)
    return { ...v, id }
  })
}
