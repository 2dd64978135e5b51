import createError from '@fastify/error'

/**
 * Every error the API answers with on purpose, in one place. Tests assert the code, not the
 * wording; the error handler turns each into RFC 9457 problem+json.
 */
export const Errors = {
  NOT_FOUND: createError('APP_ERR_NOT_FOUND', 'No such request, or the phone does not match it', 404),
  /** A field error found by hand rather than by the schema; carries `fieldErrors`. */
  FIELD: createError('APP_ERR_VALIDATION', 'The request has invalid fields', 400),
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
  /** Redis did not answer in time, or is away: the route needs it (the work queue); try again. */
  REDIS_UNAVAILABLE: createError(
    'APP_ERR_NOT_READY',
    'The work queue is unavailable for a moment; nothing was lost, try again shortly',
    503,
  ),
  /** A cookie-authenticated change from another site (or without the CSRF header). */
  CROSS_SITE: createError('APP_ERR_CROSS_SITE', 'Cross-site request refused: send it from the Bailanys pages', 403),
} as const

/** Errors of the Twilio webhooks. */
export const TwilioErrors = {
  BAD_SIGNATURE: createError('APP_ERR_TWILIO_SIGNATURE', 'Missing or invalid X-Twilio-Signature', 403),
} as const

/** Errors of accounts, sessions and roles. */
export const AuthErrors = {
  BAD_CREDENTIALS: createError('APP_ERR_BAD_CREDENTIALS', 'Wrong login or password', 401),
  UNAUTHENTICATED: createError('APP_ERR_UNAUTHENTICATED', 'Log in first: a missing, expired or revoked token', 401),
  FORBIDDEN: createError('APP_ERR_FORBIDDEN', 'Your role cannot do this', 403),
  NOT_APPROVED: createError('APP_ERR_NOT_APPROVED', 'A coordinator has not approved this volunteer yet', 403),
  ACCOUNT_EXISTS: createError('APP_ERR_ACCOUNT_EXISTS', 'An account with this phone or email exists already', 409),
  ACCOUNT_NOT_FOUND: createError('APP_ERR_ACCOUNT_NOT_FOUND', 'No such volunteer', 404),
} as const

/** Errors of the volunteer work queue. */
export const TaskErrors = {
  NOT_AVAILABLE: createError('APP_ERR_NOT_AVAILABLE', 'Mark yourself available before claiming', 409),
  NO_LEASE: createError('APP_ERR_NO_LEASE', 'You do not hold this task (its lease ended or it was never yours)', 409),
  TASK_NOT_FOUND: createError('APP_ERR_TASK_NOT_FOUND', 'No such task', 404),
  CALL_FAILED: createError('APP_ERR_CALL_FAILED', 'The call could not be started; call from your own phone or try again', 502),
  RECORDING_NOT_FOUND: createError('APP_ERR_RECORDING_NOT_FOUND', 'The caller left no such recording on this task', 404),
  RECORDING_UNAVAILABLE: createError('APP_ERR_RECORDING_UNAVAILABLE', 'Twilio did not give the recording; try again', 502),
} as const

/** Errors of coordinators' actions. */
export const CoordinationErrors = {
  REQUEST_NOT_FOUND: createError('APP_ERR_REQUEST_NOT_FOUND', 'No such request', 404),
  NOT_OPEN: createError('APP_ERR_NOT_OPEN', 'This request is not open (it is %s)', 409),
  NOT_CLOSED: createError('APP_ERR_NOT_CLOSED', 'Only a closed request can be put back in the queue (it is %s)', 409),
  RELATIVE_HAS_OPEN_REQUEST: createError(
    'APP_ERR_RELATIVE_HAS_OPEN_REQUEST',
    'The relative has another open request: merge instead',
    409,
  ),
  SAME_REQUEST: createError('APP_ERR_SAME_REQUEST', 'A request cannot be merged into itself', 400),
  NO_LEASE_TO_END: createError('APP_ERR_NO_LEASE_TO_END', 'Nobody holds this request', 409),
} as const

/** Errors of partners, their keys and the cases referred to them. */
export const PartnerErrors = {
  PARTNER_NOT_FOUND: createError('APP_ERR_PARTNER_NOT_FOUND', 'No such partner', 404),
  KEY_NOT_FOUND: createError('APP_ERR_PARTNER_KEY_NOT_FOUND', 'No such key of this partner', 404),
  REFERRAL_NOT_FOUND: createError('APP_ERR_REFERRAL_NOT_FOUND', 'No such case referred to you', 404),
  REFERRAL_STATE: createError('APP_ERR_REFERRAL_STATE', 'This case cannot do that now (it is %s)', 409),
  NOT_UNREACHABLE: createError(
    'APP_ERR_NOT_UNREACHABLE',
    'Only a request nobody could reach is handed to a search partner (it is %s)',
    409,
  ),
  NO_SEARCH_PARTNER: createError('APP_ERR_NO_SEARCH_PARTNER', 'No active search partner covers this request', 409),
  NOT_A_SEARCH: createError('APP_ERR_NOT_A_SEARCH', 'Notes are taken on search cases only', 409),
  DELIVERY_NOT_FOUND: createError('APP_ERR_DELIVERY_NOT_FOUND', 'No such dead delivery', 404),
} as const
