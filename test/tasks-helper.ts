import { Redis } from 'ioredis'
import { pino } from 'pino'
import type { Test } from 'tap'
import type { Config } from '../src/config.js'
import { closeCheckinsQueues, createCheckinsQueues } from '../src/queues/checkins.js'
import { bullConnection } from '../src/queues/connection.js'
import { createNotifyQueue } from '../src/queues/notify.js'
import { sweepLeases } from '../workers/leases.js'
import { createOutboxRelay } from '../workers/outbox-relay.js'
import { coordinator } from './accounts-helper.js'
import { build, requestBody } from './helper.js'

const silent = pino({ level: 'silent' })

/**
 * The app with the worker side a task test needs: queues on the test's prefix, an outbox relay
 * run after each submission (`submit`), the lease sweeper (`sweep`) and a coordinator (`boss`).
 */
export async function setup(t: Test, overrides: Partial<Config> = {}) {
  const { app, config } = await build(t, { LEASE_SECONDS: 60, ...overrides })
  const producer = { connection: bullConnection(config, 'producer'), prefix: config.BULLMQ_PREFIX }
  const checkins = createCheckinsQueues(producer)
  const notify = createNotifyQueue(producer)
  const relay = createOutboxRelay({ config, db: app.db, checkins, notify, log: silent })
  const redis = new Redis(config.REDIS_URL)
  t.teardown(async () => {
    await closeCheckinsQueues(checkins)
    await notify.close()
    redis.disconnect()
  })
  const boss = await coordinator(app)
  const submit = async (overrides: Parameters<typeof requestBody>[0] = {}) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/requests', payload: requestBody(overrides) })
    await relay.runOnce()
    return res.json().reference as string
  }
  const sweep = () => sweepLeases({ config, db: app.db, redis, queues: checkins, log: silent })
  return { app, config, boss, submit, checkins, relay, sweep }
}

export const claim = (app: Awaited<ReturnType<typeof setup>>['app'], headers: Record<string, string>) =>
  app.inject({ method: 'POST', url: '/api/v1/tasks/claim', headers })
