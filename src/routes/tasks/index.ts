import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Config } from '../../config.js'
import type { Account } from '../../db/account-repository.js'
import { parseReference } from '../../domain/reference.js'
import { TaskErrors } from '../../errors.js'
import { CallRoute, ClaimRoute, GetTaskRoute, HeartbeatRoute, OutcomeRoute, ReleaseRoute } from '../../schemas/tasks.js'
import { startBridgedCall } from '../../services/bridge.js'
import { claim, getTask, heartbeat, release, submitOutcome } from '../../services/tasks.js'
import recordings from './recordings.js'

/** The volunteer work queue over HTTP: claim, read, heartbeat, release, outcome, bridged call. */
const tasks: FastifyPluginAsyncZod<{ config: Config }> = async (app, { config }) => {
  const deps = { db: app.db, redis: app.redis, checkins: app.checkins, log: app.log, config }
  app.addHook('preHandler', app.requireRole('volunteer'))
  // A family's details must not linger in a browser's or a proxy's cache once the lease is gone.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store')
  })
  const ref = (id: string) => {
    const reference = parseReference(id)
    if (!reference) throw new TaskErrors.TASK_NOT_FOUND()
    return reference
  }
  const me = (request: { account: Account | null }) => request.account as Account

  app.post('/api/v1/tasks/claim', { schema: ClaimRoute }, async (request, reply) => {
    const task = await claim(deps, me(request))
    if (!task) return reply.code(204).send(null)
    request.log.info({ reference: task.reference }, 'task claimed')
    return { task, leaseExpiresAt: task.leaseExpiresAt }
  })

  app.get('/api/v1/tasks/:id', { schema: GetTaskRoute }, async (request) => getTask(deps, me(request), ref(request.params.id)))

  app.post('/api/v1/tasks/:id/heartbeat', { schema: HeartbeatRoute }, async (request) => {
    const expiresAt = await heartbeat(deps, me(request), ref(request.params.id))
    return { leaseExpiresAt: expiresAt.toISOString() }
  })

  app.post('/api/v1/tasks/:id/release', { schema: ReleaseRoute }, async (request, reply) => {
    await release(deps, me(request), ref(request.params.id))
    return reply.code(204).send(null)
  })

  app.post('/api/v1/tasks/:id/outcome', { schema: OutcomeRoute }, async (request) => {
    const result = await submitOutcome(deps, me(request), ref(request.params.id), request.body)
    request.log.info(
      { reference: ref(request.params.id), outcome: request.body.outcome, status: result.status },
      'outcome recorded',
    )
    return result
  })

  app.post('/api/v1/tasks/:id/call', { schema: CallRoute }, async (request, reply) => {
    const callSid = await startBridgedCall({ ...deps, twilio: app.twilio }, me(request), ref(request.params.id))
    return reply.code(202).send({ callSid })
  })

  await app.register(recordings, { config })
}
export default tasks
