import { randomUUID } from 'node:crypto'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { DestinationStream } from 'pino'
import { type Config, redisKeyPrefix } from './config.js'
import { Errors } from './errors.js'
import { loggerOptions } from './logger.js'
import auth from './plugins/auth.js'
import db from './plugins/db.js'
import metrics from './plugins/metrics.js'
import problems from './plugins/problems.js'
import queues from './plugins/queues.js'
import { fallbackStore } from './plugins/rate-limit-store.js'
import redis from './plugins/redis.js'
import authRoutes from './routes/accounts/auth.js'
import volunteers from './routes/accounts/volunteers.js'
import bullBoard from './routes/admin/bull-board.js'
import backlog from './routes/backlog/index.js'
import coordination from './routes/coordination/index.js'
import exportsRoutes from './routes/exports/index.js'
import health from './routes/health/index.js'
import intake from './routes/intake/index.js'
import pages from './routes/pages/index.js'
import partners from './routes/partners/index.js'
import status from './routes/status/index.js'
import tasks from './routes/tasks/index.js'
import twilioRoutes from './routes/twilio/index.js'

/** 16 KiB: a request is a few short fields; anything larger is not one. */
export const BODY_LIMIT = 16 * 1024

/** The app as a plugin: external plugins, then the app's own, then routes. */
export async function app(fastify: FastifyInstance, { config }: { config: Config }) {
  fastify.setValidatorCompiler(validatorCompiler)
  fastify.setSerializerCompiler(serializerCompiler)
  await fastify.register(problems)
  await fastify.register(swagger, {
    openapi: {
      info: { title: 'Bailanys API', version: '1', description: 'Family check-in call-around service' },
      servers: [{ url: config.PUBLIC_BASE_URL }],
    },
    transform: jsonSchemaTransform,
  })
  await fastify.register(swaggerUi, { routePrefix: '/docs' })
  await fastify.register(db, { config })
  await fastify.register(redis, { config })
  await fastify.register(queues, { config })
  await fastify.register(auth, { config })
  await fastify.register(metrics, { config })
  await fastify.register(rateLimit, {
    global: false,
    // Counted in Redis, or in this process while Redis is away or slow (fail open, never hang).
    store: fallbackStore(fastify.redis, `${redisKeyPrefix(config)}ratelimit:`),
    skipOnError: true,
    errorResponseBuilder: (_req, ctx) => new Errors.RATE_LIMITED(`Too many requests; try again in ${ctx.after}`),
  })
  await fastify.register(health, { config })
  await fastify.register(intake, { config })
  await fastify.register(status, { config })
  await fastify.register(twilioRoutes, { config })
  await fastify.register(authRoutes, { config })
  await fastify.register(volunteers, { config })
  await fastify.register(tasks, { config })
  await fastify.register(backlog, { config })
  await fastify.register(coordination, { config })
  await fastify.register(exportsRoutes, { config })
  await fastify.register(bullBoard, { config })
  await fastify.register(partners, { config })
  await fastify.register(pages, { config })
}

/** Builds the Fastify instance around the app (the server and the tests both use this). */
export async function buildApp(config: Config, options: { logStream?: DestinationStream } = {}) {
  const logger = options.logStream
    ? { ...loggerOptions(config.LOG_LEVEL), stream: options.logStream }
    : loggerOptions(config.LOG_LEVEL)
  const fastify = Fastify({
    logger,
    bodyLimit: BODY_LIMIT,
    trustProxy: config.TRUST_PROXY,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
  }).withTypeProvider<ZodTypeProvider>()
  // fastify-plugin keeps the app's decorators (db, redis) visible on the instance returned.
  await fastify.register(fp(app), { config })
  return fastify
}
