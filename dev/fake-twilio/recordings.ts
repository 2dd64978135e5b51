import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { API_VERSION, type Resource, rfc2822, twilioError } from './resources.js'

/** A few bytes standing in for a recording's audio: enough to see it pass through the service. */
export const FAKE_AUDIO = Buffer.from('ID3fake-recording-audio')

/**
 * Recordings, as a call's `<Record>` leaves them at Twilio: made with `add` (the test plays the
 * caller), then fetched (`.json`), played (`.mp3`/`.wav`, the account's Basic auth like every
 * request) and deleted (`DELETE …/Recordings/RE….json`, 204, then 404 like Twilio).
 */
export function recordingsApi(app: FastifyInstance, options: { accountSid: string; url: () => string }) {
  const stored = new Map<string, Resource>()
  const base = `/${API_VERSION}/Accounts/:AccountSid/Recordings/:file`
  const notFound = (request: FastifyRequest, reply: FastifyReply) =>
    reply.code(404).send(twilioError(404, 20404, `The requested resource ${request.url.split('?')[0]} was not found`))

  type Params = { Params: { file: string } }
  app.get<Params>(base, async (request, reply) => {
    const [sid, ext] = request.params.file.split('.')
    const recording = stored.get(sid ?? '')
    if (!recording) return notFound(request, reply)
    if (ext === 'json') return reply.send({ ...recording })
    if (ext === 'mp3' || ext === 'wav') return reply.type(ext === 'mp3' ? 'audio/mpeg' : 'audio/x-wav').send(FAKE_AUDIO)
    return notFound(request, reply)
  })
  app.delete<Params>(base, async (request, reply) => {
    const [sid, ext] = request.params.file.split('.')
    if (ext !== 'json' || !stored.delete(sid ?? '')) return notFound(request, reply)
    return reply.code(204).send()
  })

  return {
    stored,
    /** A recording of a call, as Twilio would report it to the `<Record>` action URL. */
    add({ callSid, duration = 4 }: { callSid: string; duration?: number }) {
      const sid = `RE${randomBytes(16).toString('hex')}`
      const uri = `/${API_VERSION}/Accounts/${options.accountSid}/Recordings/${sid}`
      const now = rfc2822(new Date())
      stored.set(sid, {
        account_sid: options.accountSid,
        api_version: API_VERSION,
        call_sid: callSid,
        date_created: now,
        date_updated: now,
        duration: String(duration),
        sid,
        status: 'completed',
        uri: `${uri}.json`,
      })
      return { sid, url: `${options.url()}${uri}`, duration }
    },
  }
}
