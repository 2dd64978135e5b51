import { randomBytes } from 'node:crypto'
import { basename } from 'node:path'
import { Writable } from 'node:stream'
import { Redis } from 'ioredis'
import pg from 'pg'
import type { Test } from 'tap'
import { buildApp } from '../src/app.js'
import { type Config, ConfigSchema, loadConfig } from '../src/config.js'
import { migrate } from '../src/db/migrations.js'

/** A name unique to this test run, safe as a schema name or a BullMQ prefix. */
export function uniqueName(t: Test): string {
  const file = basename(t.fullname.split(' ')[0] ?? 'test')
    .replace(/\.ts$/, '')
    .replace(/[^a-z0-9]/gi, '_')
    .toLowerCase()
  return `t_${file.slice(0, 30)}_${randomBytes(4).toString('hex')}`
}

/** Drops a schema and everything in it. */
export async function dropSchema(databaseUrl: string, schema: string) {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}

/** Deletes every Redis key under a prefix. */
export async function deleteKeys(redisUrl: string, prefix: string) {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true })
  try {
    await redis.connect()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      if (keys.length > 0) await redis.del(...keys)
      cursor = next
    } while (cursor !== '0')
  } catch {
    // A test that stopped its own Redis has nothing to clean there.
  } finally {
    redis.disconnect()
  }
}

/**
 * Where the tests find PostgreSQL and Redis: their own variables, never the caller's
 * DATABASE_URL / REDIS_URL (a user's own settings must neither break the tests nor be touched by
 * them). `npm test`'s bootstrap starts these servers when they are absent.
 */
export const TEST_SERVICES = {
  DATABASE_URL: process.env.BAILANYS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/bailanys_test',
  REDIS_URL: process.env.BAILANYS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
}

/** A child process's environment in a test: the caller's own Bailanys settings out, the test services in. */
export function testEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const key of Object.keys(ConfigSchema.shape)) delete env[key]
  return { ...env, ...TEST_SERVICES, ...extra }
}

/**
 * A config for one test file: its own migrated schema and BullMQ prefix, both removed when the
 * test ends. Built from the defaults and TEST_SERVICES only, whatever the caller has exported.
 */
export async function testConfig(t: Test, overrides: Partial<Config> = {}): Promise<Config> {
  const name = uniqueName(t)
  const config = {
    ...loadConfig({ ...TEST_SERVICES, LOG_LEVEL: 'silent' }),
    DATABASE_SCHEMA: name,
    DATABASE_POOL_SIZE: 5,
    BULLMQ_PREFIX: `{${name}}`,
    RATE_LIMIT_PER_IP_PER_MINUTE: 10_000,
    RATE_LIMIT_PER_PHONE_PER_HOUR: 10_000,
    OUTBOX_POLL_MS: 100,
    // A loaded test machine can stall an event loop for longer than production's 300 ms: only
    // the tests about a frozen Redis ask for a short deadline, so no other test hangs on timing.
    REDIS_TIMEOUT_MS: 5000,
    ...overrides,
  }
  await migrate(config)
  t.teardown(async () => {
    await dropSchema(config.DATABASE_URL, config.DATABASE_SCHEMA)
    await deleteKeys(config.REDIS_URL, config.BULLMQ_PREFIX)
    await deleteKeys(config.REDIS_URL, `${name}:`)
  })
  return config
}

/** Collects log lines written by pino, for asserting what reached the log. */
export function logCollector() {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean))
      done()
    },
  })
  return { stream, lines, text: () => lines.join('\n') }
}

/** The app with a test config, closed when the test ends. */
export async function build(t: Test, overrides: Partial<Config> = {}, options: { logStream?: Writable } = {}) {
  const config = await testConfig(t, overrides)
  const app = await buildApp(config, { logStream: options.logStream })
  t.teardown(() => app.close())
  await app.ready()
  return { app, config }
}

let counter = 0
/** A valid KZ mobile number unique within this process. */
export function uniquePhone(): string {
  counter++
  const n = (process.pid * 1000 + counter) % 10_000_000
  return `+7701${String(n).padStart(7, '0')}`
}

/** A valid intake body; parts can be replaced. */
export function requestBody(overrides: { requester?: object; relative?: object; flags?: object; consent?: unknown } = {}) {
  return {
    requester: { name: 'Айгуль', phone: uniquePhone(), language: 'kk', notifyVia: 'sms', ...overrides.requester },
    relative: { name: 'Сауле Нурланова', phone: uniquePhone(), city: 'Алматы', ...overrides.relative },
    flags: { elderly: true, ...overrides.flags },
    consent: 'consent' in overrides ? overrides.consent : true,
  }
}

/** Posts a form to a Twilio webhook route, signed as Twilio would sign it (or not). */
export async function twilioPost(
  app: Awaited<ReturnType<typeof build>>['app'],
  config: Config,
  url: string,
  params: Record<string, string>,
  signature: 'valid' | 'invalid' | 'missing' = 'valid',
) {
  const { default: twilio } = await import('twilio')
  const fullUrl = config.PUBLIC_BASE_URL.replace(/\/$/, '') + url
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
  if (signature !== 'missing') {
    headers['x-twilio-signature'] =
      signature === 'valid'
        ? twilio.getExpectedTwilioSignature(config.TWILIO_AUTH_TOKEN, fullUrl, params)
        : 'bm90IGEgc2lnbmF0dXJl'
  }
  return app.inject({ method: 'POST', url, headers, payload: new URLSearchParams(params).toString() })
}

/** A port free on loopback right now. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net')
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Polls until `fn` gives a truthy value (returned), or fails the wait after `timeoutMs`. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await fn().catch(() => undefined)
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
