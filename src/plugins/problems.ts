import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import { Errors } from '../errors.js'

const CLIENT_ERRORS: Record<string, { status: number; title: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, title: 'Request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, title: 'Unsupported content type: send application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, title: 'Invalid Content-Length' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, title: 'The JSON body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, title: 'The body is not valid JSON' },
}

/**
 * PostgreSQL unreachable or going away (connection refused or reset, the server shutting down or
 * starting, too many connections): by the driver's or the server's code, never the wording.
 */
const DATABASE_AWAY = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08003',
  '08006',
])

function problem(status: number, code: string, title: string, extra: Record<string, unknown> = {}) {
  return { type: `urn:bailanys:problem:${code.toLowerCase()}`, title, status, code, ...extra }
}

type FieldError = { path: string; message: string }

/** One entry per bad field, with a dotted path (`relative.phone`); an unknown key names itself. */
function fieldErrors(
  context: string | undefined,
  v: { instancePath: string; keyword: string; message?: string; params: Record<string, unknown> },
): FieldError[] {
  const parts = v.instancePath.split('/').filter(Boolean)
  if (v.keyword === 'unrecognized_keys' && Array.isArray(v.params.keys)) {
    return v.params.keys.map((key) => ({ path: [...parts, String(key)].join('.'), message: 'is not a known field' }))
  }
  return [{ path: parts.length > 0 ? parts.join('.') : (context ?? ''), message: v.message ?? 'is invalid' }]
}

/**
 * The one error handler: every error leaves as RFC 9457 problem+json. Client errors are
 * logged at info with their code only; anything else is a 500, logged with a scrubbed error.
 */
export default fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((err: FastifyError, request, reply) => {
      let body: ReturnType<typeof problem>
      if (hasZodFastifySchemaValidationErrors(err)) {
        const errors = err.validation.flatMap((v) => fieldErrors(err.validationContext, v))
        body = problem(400, 'APP_ERR_VALIDATION', 'The request has invalid fields', { errors })
      } else if (err.code === 'APP_ERR_VALIDATION' && Array.isArray((err as { fieldErrors?: unknown }).fieldErrors)) {
        body = problem(400, err.code, err.message, { errors: (err as unknown as { fieldErrors: FieldError[] }).fieldErrors })
      } else if (err.code && CLIENT_ERRORS[err.code]) {
        const known = CLIENT_ERRORS[err.code] as { status: number; title: string }
        body = problem(known.status, err.code, known.title)
      } else if (err instanceof SyntaxError || (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)) {
        const status = err.statusCode ?? 400
        body = problem(status, err.code ?? 'APP_ERR_BAD_REQUEST', err.message)
      } else if (err.code?.startsWith('APP_ERR_') && err.statusCode) {
        // Redis away or slow reaches here as RedisUnavailable (src/services/redis-guard.ts): a 503.
        if (err.statusCode >= 500) request.log.warn({ code: err.code }, 'not ready')
        body = problem(err.statusCode, err.code, err.message)
      } else if (err.code && DATABASE_AWAY.has(err.code)) {
        // Nothing was committed (a 201 only follows a commit): the client may simply try again.
        request.log.warn({ code: err.code }, 'database unavailable')
        body = problem(503, 'APP_ERR_NOT_READY', 'The database is unavailable for a moment; nothing was saved, try again shortly')
      } else {
        request.log.error({ err }, 'unhandled error')
        body = problem(500, 'APP_ERR_INTERNAL', 'Something went wrong on our side; nothing was lost, try again')
      }
      if (body.status < 500) request.log.info({ code: body.code, status: body.status }, 'client error')
      reply.code(body.status).type('application/problem+json').send(body)
    })

    app.setNotFoundHandler((request, reply) => {
      const err = new Errors.ROUTE_NOT_FOUND(request.method, request.url.split('?')[0])
      reply
        .code(404)
        .type('application/problem+json')
        .send(problem(404, err.code, err.message))
    })
  },
  { name: 'problems' },
)
