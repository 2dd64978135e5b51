import type pg from 'pg'

export type StoredKey = { fingerprint: string; requestId: string | null; statusCode: number | null }

/**
 * Claims an Idempotency-Key inside the caller's transaction. Returns null when the key is new
 * (the caller then does the work and calls `completeKey`), or what the first use stored. A
 * concurrent first use holds the row until it commits, so the second caller waits for it.
 */
export async function claimKey(client: pg.PoolClient, key: string, fingerprint: string): Promise<StoredKey | null> {
  const inserted = await client.query(
    'INSERT INTO idempotency_keys (key, fingerprint) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING key',
    [key, fingerprint],
  )
  if (inserted.rowCount === 1) return null
  const { rows } = await client.query(
    'SELECT fingerprint, request_id::text AS "requestId", status_code AS "statusCode" FROM idempotency_keys WHERE key = $1',
    [key],
  )
  return rows[0] as StoredKey
}

export async function completeKey(client: pg.PoolClient, key: string, result: { requestId: string; statusCode: number }) {
  await client.query('UPDATE idempotency_keys SET request_id = $2, status_code = $3 WHERE key = $1', [
    key,
    result.requestId,
    result.statusCode,
  ])
}
