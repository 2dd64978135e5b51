import createError from '@fastify/error'

/**
 * Every error the API answers with on purpose, in one place. Tests assert the code, not the
 * wording; the error handler turns each into RFC 9457 problem+json.
 */
export const Errors = {
  NOT_FOUND: createError('APP_ERR_NOT_FOUND', 'No such request, or the phone does not match it', 404),
  ROUTE_NOT_FOUND: createError('APP_ERR_ROUTE_NOT_FOUND', 'Route %s %s not found', 404),
  RATE_LIMITED: createError('APP_ERR_RATE_LIMITED', '%s', 429),
  IDEMPOTENCY_KEY_REUSED: createError(
    'APP_ERR_IDEMPOTENCY_KEY_REUSED',
    'This Idempotency-Key was already used with a different request body',
    422,
  ),
  INVALID_IDEMPOTENCY_KEY: createError(
    'APP_ERR_INVALID_IDEMPOTENCY_KEY',
    'Idempotency-Key must be 1 to 255 visible ASCII characters',
    400,
  ),
  REFERENCE_EXHAUSTED: createError('APP_ERR_REFERENCE_EXHAUSTED', 'Could not allocate a unique reference', 503),
  NOT_READY: createError('APP_ERR_NOT_READY', 'Not ready: %s', 503),
} as const

/** Errors of the Twilio webhooks. */
export const TwilioErrors = {
  BAD_SIGNATURE: createError('APP_ERR_TWILIO_SIGNATURE', 'Missing or invalid X-Twilio-Signature', 403),
} as const
