import { z } from 'zod'

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max)

/**
 * The environment the API and the workers read, validated once at start.
 * Every variable is listed with its default in `.env.example`.
 */
export const ConfigSchema = z.object({
  /** HTTP port of the API. Default 3000. */
  PORT: int(0, 65535).default(3000),
  /** Address the API listens on. Default 127.0.0.1 (the Docker image sets 0.0.0.0). */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** PostgreSQL, the system of record. Default postgres://postgres@127.0.0.1:5432/bailanys. */
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' })
    .default('postgres://postgres@127.0.0.1:5432/bailanys'),
  /** Schema holding Bailanys' tables. Default public. Tests give each file its own. */
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
    .default('public'),
  /** Connections in each process's PostgreSQL pool. Default 20. */
  DATABASE_POOL_SIZE: int(1, 500).default(20),
  /** Redis for BullMQ. Default redis://127.0.0.1:6379. */
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// URL' }).default('redis://127.0.0.1:6379'),
  /**
   * Prefix of every BullMQ key. Default `{bailanys}`: the braces make it a Redis Cluster hash
   * tag so that all of a queue's keys land in one slot.
   */
  BULLMQ_PREFIX: z.string().min(1).max(64).default('{bailanys}'),
  /**
   * Longest wait, ms, for one Redis command on a request path (rate limits, claims, heartbeats,
   * readiness) before its fallback applies: a hung Redis must never hang a request. Default 300.
   */
  REDIS_TIMEOUT_MS: int(20, 10_000).default(300),
  /**
   * How often, ms, the worker compares PostgreSQL with the queues and re-enqueues what Redis has
   * forgotten (and removes jobs of closed requests). Default 15000: recovery within a minute.
   */
  RECONCILE_EVERY_MS: int(100, 3_600_000).default(15_000),
  /** The URL the public reaches this service at (status links, Twilio signatures). */
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('http://localhost:3000'),
  /** Twilio Account SID (AC + 32 hex). Default a fake one that cannot send anything. */
  TWILIO_ACCOUNT_SID: z
    .string()
    .regex(/^AC[0-9a-fA-F]{32}$/, 'must look like AC followed by 32 hex digits')
    .default('AC00000000000000000000000000000000'),
  /** Twilio Auth Token (also checks webhook signatures). Default a fake one. */
  TWILIO_AUTH_TOKEN: z.string().min(8, 'must be at least 8 characters').default('fake-twilio-auth-token'),
  /** Sender: a phone number, an alphanumeric sender ID or a Messaging Service SID (MG…). */
  TWILIO_FROM: z.string().min(1).default('Bailanys'),
  /** Caller ID for voice calls (a Twilio phone number). Default TWILIO_FROM when that is a number. */
  TWILIO_VOICE_FROM: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$/, 'must be a phone number in E.164, like +15005550006')
    .optional(),
  /** Base URL replacing https://api.twilio.com, for a fake or mock Twilio. Unset in production. */
  TWILIO_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  /** Timeout of one request to Twilio, ms. Default 15000. */
  TWILIO_TIMEOUT_MS: int(100, 120_000).default(15_000),
  /** Messages (SMS or calls) per second the notify workers send, all together. Default 1. */
  NOTIFY_RATE_PER_SECOND: int(1, 1000).default(1),
  /** Tries of a notification before it is recorded as failed. Default 8 (about 20 minutes). */
  NOTIFY_ATTEMPTS: int(1, 50).default(8),
  /** First retry delay of a notification, ms; it doubles each try. Default 5000. */
  NOTIFY_BACKOFF_MS: int(10, 600_000).default(5000),
  /** Minutes an unfinished SMS conversation is kept before it starts over. Default 60. */
  SMS_IDLE_MINUTES: int(1, 7 * 24 * 60).default(60),
  /** Hours a login (bearer token or cookie session) lasts. Default 12. */
  SESSION_HOURS: int(1, 24 * 30).default(12),
  /** Seconds a volunteer holds a claimed request (heartbeats extend it) before it returns. Default 900. */
  LEASE_SECONDS: int(2, 4 * 3600).default(900),
  /** Calls without an answer (no_answer, busy) before a request is closed as unreachable. Default 3. */
  MAX_CALL_ATTEMPTS: int(1, 20).default(3),
  /** Minutes before an unanswered request returns to the queue, per attempt. Default 20,60,180. */
  RETRY_DELAYS_MINUTES: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'must be minutes separated by commas, like 20,60,180')
    .default('20,60,180')
    .transform((s) => s.split(',').map(Number)),
  /** Minutes a request may wait in the queue before it is escalated (raised once). Default 120. */
  ESCALATE_AFTER_MINUTES: int(1, 7 * 24 * 60).default(120),
  /** Bearer token that opens GET /metrics to Prometheus. Unset: /metrics answers 404. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * The one time zone every page, SMS and export shows times in (an IANA name), always named next
   * to the time. Default Asia/Almaty (all of Kazakhstan is UTC+5 since 2024).
   */
  TIME_ZONE: z
    .string()
    .refine((zone) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: zone })
        return true
      } catch {
        return false
      }
    }, 'must be an IANA time zone, like Asia/Almaty')
    .default('Asia/Almaty'),
  /** pino level. Default info. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Days after closing a request that its personal data is purged. Default 30. */
  RETENTION_DAYS: int(1, 3650).default(30),
  /** Intake requests a client IP may make per minute. Default 30. */
  RATE_LIMIT_PER_IP_PER_MINUTE: int(1, 1_000_000).default(30),
  /** Requests one requester phone may create per hour. Default 10. */
  RATE_LIMIT_PER_PHONE_PER_HOUR: int(1, 1_000_000).default(10),
  /** Trust X-Forwarded-For from a reverse proxy for the client IP. Default false. */
  TRUST_PROXY: bool.default(false),
  /** How often the outbox relay looks for new rows, ms. Default 200. */
  OUTBOX_POLL_MS: int(10, 60_000).default(200),
  /** Minutes a case offered to a partner may sit untouched before it goes to the next partner (or the coordinators). Default 60. */
  REFERRAL_ESCALATE_MINUTES: int(1, 7 * 24 * 60).default(60),
  /** Hand a request that becomes unreachable to a search partner by itself. Default false (a coordinator does it). */
  SEARCH_HANDOFF_AUTO: bool.default(false),
  /** Tries of a webhook push to a partner before it is a dead letter. Default 8. */
  PARTNER_WEBHOOK_ATTEMPTS: int(1, 50).default(8),
  /** First retry delay of a webhook push, ms; it doubles each try. Default 5000. */
  PARTNER_WEBHOOK_BACKOFF_MS: int(10, 600_000).default(5000),
  /** Longest wait, ms, for a partner's webhook to answer. Default 5000. */
  PARTNER_WEBHOOK_TIMEOUT_MS: int(100, 60_000).default(5000),
})

export type Config = z.infer<typeof ConfigSchema>

/** A configuration error, whose message is the one line the process prints before exiting. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

/**
 * Reads the configuration from an environment (process.env by default).
 * Empty strings count as unset, so `FOO=` in a .env file falls back to the default.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input = Object.fromEntries(
    Object.keys(ConfigSchema.shape)
      .map((key) => [key, env[key]])
      .filter(([, value]) => value !== undefined && value !== ''),
  )
  const result = ConfigSchema.safeParse(input)
  if (result.success) return result.data
  const problems = result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`)
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`)
}

/**
 * Prefix of the service's own Redis keys (rate limits): the BullMQ prefix without its hash-tag
 * braces, so that these small keys spread over a cluster instead of sharing the queues' slot.
 */
export function redisKeyPrefix(config: Pick<Config, 'BULLMQ_PREFIX'>): string {
  return `${config.BULLMQ_PREFIX.replace(/[{}]/g, '')}:`
}
