import type { FastifyRequest } from 'fastify'
import type { LoggerOptions } from 'pino'

/** Anything that looks like a phone number (7+ digits, with the usual separators). */
const PHONE_LIKE = /\+?\d[\d\s().-]{5,}\d/g

/**
 * Scrubs text that may carry personal data before it is logged: phone-like digit runs, and
 * values PostgreSQL quotes in its messages ("Key (x)=(…)", invalid input "…").
 */
export function scrub(text: string): string {
  return text
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\([^)]*\)=\([^)]*\)/g, '(…)=(…)')
    .replace(PHONE_LIKE, '[number]')
}

/** Only these parts of an error are logged; PostgreSQL's `detail` repeats row values. */
function serializeError(err: Error & { code?: unknown; statusCode?: unknown }) {
  return {
    type: err.name,
    code: err.code,
    statusCode: err.statusCode,
    message: scrub(String(err.message)),
    stack: err.stack ? scrub(err.stack) : undefined,
  }
}

/** The request as logged: method and route path, never the query string (it carries phones). */
function serializeRequest(req: FastifyRequest) {
  return { method: req.method, url: req.url.split('?')[0], route: req.routeOptions?.url }
}

/**
 * pino options shared by the API and the workers. Personal data never reaches a log line:
 * bodies are never logged, URLs lose their query, errors are scrubbed, client IPs are dropped
 * (being on a list is dangerous), and known personal fields are redacted wherever they appear.
 */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    serializers: { req: serializeRequest as never, err: serializeError as never },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        '*.phone',
        '*.name',
        '*.address',
        '*.notes',
        '*.body',
        '*.Body',
        '*.From',
        '*.To',
      ],
      censor: '[redacted]',
    },
  }
}
