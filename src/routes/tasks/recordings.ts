import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Config } from '../../config.js'
import type { Account } from '../../db/account-repository.js'
import { parseReference } from '../../domain/reference.js'
import { TaskErrors } from '../../errors.js'
import { ProblemSchema } from '../../schemas/common.js'
import { TaskParams } from '../../schemas/tasks.js'
import { openRecording } from '../../services/voice-recordings.js'

const RecordingRoute = {
  tags: ['tasks'],
  summary: "Play what a voice caller recorded (the place, the relative's name): the lease holder only, audited",
  params: TaskParams.extend({ kind: z.enum(['place', 'name']) }),
  response: {
    200: z.unknown().describe('The audio (audio/mpeg)'),
    401: ProblemSchema,
    403: ProblemSchema,
    404: ProblemSchema,
    502: ProblemSchema,
  },
}

/**
 * `GET /api/v1/tasks/:id/recordings/:kind`: the audio, streamed from Twilio, never cached.
 * Registered inside the tasks routes, so it has their volunteer check.
 */
const recordings: FastifyPluginAsyncZod<{ config: Config }> = async (app, { config }) => {
  app.get('/api/v1/tasks/:id/recordings/:kind', { schema: RecordingRoute }, async (request, reply) => {
    const reference = parseReference(request.params.id)
    if (!reference) throw new TaskErrors.TASK_NOT_FOUND()
    const { kind } = request.params
    const { audio, type } = await openRecording({ db: app.db, config }, request.account as Account, { reference, kind })
    request.log.info({ reference, kind }, 'recording played')
    return reply.type(type).header('cache-control', 'no-store').send(audio)
  })
}
export default recordings
