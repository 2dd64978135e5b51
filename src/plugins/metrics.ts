import type { FastifyPluginAsync } from 'fastify'
import type { Config } from '../config.js'

/** Prometheus metrics at /metrics. */
const metrics: FastifyPluginAsync<{ config: Config }> = async () => {}
export default metrics
