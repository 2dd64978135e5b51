import type { FastifyPluginAsync } from 'fastify'
import type { Config } from '../../config.js'
import { backlogSummary } from '../../db/backlog-repository.js'
import { BacklogBroadcaster } from '../../services/backlog.js'

/** The backlog at a glance for coordinators, as JSON and as a Server-Sent Events stream. */
const backlog: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  const options = {
    escalateAfterMinutes: config.ESCALATE_AFTER_MINUTES,
    leaseWarnSeconds: Math.min(120, config.LEASE_SECONDS / 5),
  }
  const broadcaster = new BacklogBroadcaster(() => backlogSummary(app.db, options), app.log)
  const streams = new Set<() => void>()
  app.addHook('preHandler', app.requireRole('coordinator'))
  // Open streams would keep the server from closing: end them first.
  app.addHook('preClose', async () => {
    for (const end of streams) end()
    broadcaster.stop()
  })

  app.get('/api/v1/backlog', { schema: { tags: ['backlog'], summary: 'The backlog at a glance' } }, async () =>
    backlogSummary(app.db, options),
  )

  app.get(
    '/api/v1/backlog/stream',
    { schema: { tags: ['backlog'], summary: 'The same summary pushed as Server-Sent Events when it changes' } },
    (request, reply) => {
      reply.hijack()
      const raw = reply.raw
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      })
      raw.write('retry: 3000\n\n')
      const unsubscribe = broadcaster.subscribe((summary) => raw.write(`event: backlog\ndata: ${JSON.stringify(summary)}\n\n`))
      // A comment line every 15 s keeps proxies from closing an idle stream.
      const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), 15_000)
      const end = () => {
        clearInterval(keepAlive)
        unsubscribe()
        streams.delete(end)
        raw.end()
      }
      streams.add(end)
      request.raw.on('close', end)
    },
  )
}
export default backlog
