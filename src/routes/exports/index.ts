import type { FastifyPluginAsync } from 'fastify'
import type { Config } from '../../config.js'

/** Exports for coordinators (CSV, PFIF 1.4). */
const exportsRoutes: FastifyPluginAsync<{ config: Config }> = async () => {}
export default exportsRoutes
