/**
 * The reference the intake is compared with, run as its own process by bench/intake.ts:
 * bare Fastify with the same logger level as the API and a pg pool of the same size.
 *   GET  /hello   → {hello:'world'} (the framework's ceiling on this machine)
 *   POST /insert  → ONE parameterised INSERT of a row like a request's (the database's floor)
 * Env: PORT, DATABASE_URL, DATABASE_SCHEMA, DATABASE_POOL_SIZE, LOG_LEVEL.
 * The table `reference_requests` must already exist in DATABASE_SCHEMA.
 */
import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import pg from 'pg'
import type { IntakeBody } from './bodies.js'

/** The reference table; bench/intake.ts creates it in the bench schema. */
export const REFERENCE_TABLE_SQL = `
CREATE TABLE reference_requests (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reference          text NOT NULL,
  requester_name     text,
  requester_phone    text,
  requester_language text NOT NULL,
  notify_via         text NOT NULL,
  relative_name      text,
  relative_phone     text,
  relative_city      text,
  relative_address   text,
  relative_notes     text,
  flag_elderly       boolean NOT NULL DEFAULT false,
  flag_medical       boolean NOT NULL DEFAULT false,
  flag_children      boolean NOT NULL DEFAULT false,
  flag_disability    boolean NOT NULL DEFAULT false,
  created_at         timestamptz NOT NULL DEFAULT now()
)`

const INSERT = `INSERT INTO reference_requests (reference, requester_name, requester_phone, requester_language,
  notify_via, relative_name, relative_phone, relative_city, relative_address, relative_notes,
  flag_elderly, flag_medical, flag_children, flag_disability)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id::text`

async function main() {
  const env = process.env
  const schema = env.DATABASE_SCHEMA ?? ''
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error('DATABASE_SCHEMA must be a lower-case SQL identifier')
  const pool = new pg.Pool({
    connectionString: env.DATABASE_URL,
    max: Number(env.DATABASE_POOL_SIZE ?? 20),
    options: `-c search_path=${schema}`,
    connectionTimeoutMillis: 5000,
  })
  pool.on('error', () => {})
  const app = Fastify({ logger: { level: env.LOG_LEVEL ?? 'warn' } })
  app.addHook('onClose', () => pool.end())

  app.get('/hello', async () => ({ hello: 'world' }))
  app.post<{ Body: IntakeBody }>('/insert', async (request, reply) => {
    const { requester: q, relative: r, flags: f } = request.body
    const { rows } = await pool.query<{ id: string }>(INSERT, [
      randomBytes(4).toString('hex'),
      q.name,
      q.phone,
      q.language,
      q.notifyVia,
      r.name,
      r.phone,
      r.city,
      r.address ?? null,
      r.notes ?? null,
      f.elderly,
      f.medical,
      f.children,
      f.disability,
    ])
    return reply.code(201).send({ id: rows[0]?.id })
  })

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      app.close().finally(() => process.exit(0))
    })
  }
  await app.listen({ port: Number(env.PORT ?? 0), host: '127.0.0.1' })
}

// Only when run as a program: bench/intake.ts imports REFERENCE_TABLE_SQL from this file.
if (process.argv[1]?.endsWith('reference-server.js')) {
  main().catch((err) => {
    console.error(`reference server cannot start: ${err instanceof Error ? err.message : err}`)
    process.exit(1)
  })
}
