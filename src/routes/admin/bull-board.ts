import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { FastifyAdapter } from '@bull-board/fastify'
import type { FastifyError, FastifyPluginAsync } from 'fastify'
import type { Config } from '../../config.js'
import { monitoredQueues } from '../../queues/monitored.js'

/** Where the board is mounted. */
export const BULL_BOARD_PATH = '/admin/queues'

/**
 * bull-board under /admin/queues, for coordinators (session cookie or bearer token). Read-only:
 * every queue adapter refuses retries, removals, pauses and cleaning (405), so the board shows the
 * queues and changes nothing; the work queue is changed through the API, which keeps PostgreSQL
 * in step.
 */
const bullBoard: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  const monitored = monitoredQueues(app.checkins.queues, config, (err) => app.log.debug({ err }, 'bull-board queue error'))
  app.addHook('onClose', () => monitored.close())
  const serverAdapter = new FastifyAdapter().setBasePath(BULL_BOARD_PATH)
  createBullBoard({
    queues: monitored.queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Bailanys queues', hideDocsLink: true } },
  })

  await app.register(
    async (board) => {
      const allow = board.requireRole('coordinator')
      // bull-board sets its own error handler on its routes; a refusal here still leaves as the
      // app's problem+json, through the handler this scope inherited.
      const problem = board.errorHandler
      board.addHook('onRequest', async (request, reply) => {
        try {
          await allow(request, reply)
        } catch (err) {
          problem.call(board, err as FastifyError, request, reply)
          return reply
        }
      })
      await board.register(serverAdapter.registerPlugin())
    },
    { prefix: BULL_BOARD_PATH },
  )
}
export default bullBoard
