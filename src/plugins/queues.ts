import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { type CheckinsQueues, closeCheckinsQueues, createCheckinsQueues } from '../queues/checkins.js'
import { closeHandWorkers, createHandWorkers, type HandWorkers } from '../queues/checkins-hand.js'
import { bullConnection } from '../queues/connection.js'
import { createTwilioClient, type TwilioClient } from '../twilio/client.js'

declare module 'fastify' {
  interface FastifyInstance {
    checkins: { queues: CheckinsQueues; workers: HandWorkers }
    twilio: TwilioClient
  }
}

/** The checkins queues worked by hand from the API, and the Twilio client for bridged calls. */
export default fp<{ config: Config }>(
  async (app, { config }) => {
    // Fail-fast connections with a deadline per command: a heartbeat or release never hangs on Redis.
    const options = { connection: bullConnection(config, 'api'), prefix: config.BULLMQ_PREFIX }
    const queues = createCheckinsQueues(options)
    const workers = createHandWorkers({ ...options, leaseMs: config.LEASE_SECONDS * 1000 })
    const warn = (err: Error) => app.log.warn({ err }, 'checkins queue connection error')
    for (const queue of Object.values(queues)) queue.on('error', warn)
    for (const worker of Object.values(workers)) worker.on('error', warn)
    app.decorate('checkins', { queues, workers })
    app.decorate('twilio', createTwilioClient(config))
    app.addHook('onClose', async () => {
      await closeHandWorkers(workers)
      await closeCheckinsQueues(queues)
    })
  },
  { name: 'queues' },
)
