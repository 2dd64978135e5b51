import type { FastifyPluginAsync } from 'fastify'
import type { Config } from '../../config.js'

/** bull-board under /admin/queues, for coordinators. */
const bullBoard: FastifyPluginAsync<{ config: Config }> = async () => {}
export default bullBoard
