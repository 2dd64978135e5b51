import type { AddressInfo, Socket } from 'node:net'
import formbody from '@fastify/formbody'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import { FailureQueue, type ResourcePath } from './failures.js'
import { inboundSms } from './inbound.js'
import { phoneSimulator } from './phone-routes.js'
import { phoneThreads } from './phone-threads.js'
import { recordingsApi } from './recordings.js'
import {
  API_VERSION,
  buildCall,
  buildMessage,
  newSid,
  type Params,
  param,
  type Resource,
  twilioError,
  validateCall,
  validateMessage,
} from './resources.js'
import { type CallbackError, callSteps, createStepRunner, DEFAULT_NUMBER, messageSteps, signedPost } from './twilio-side.js'
import type { FakeTwilio, FakeTwilioOptions, Outcome, Recorded, RequestRecord } from './types.js'

export type { Failure, ResourcePath } from './failures.js'
export type { Params } from './resources.js'
export type { CallbackError, SignatureMode, WebhookAnswer } from './twilio-side.js'
export type * from './types.js'

/** The phone simulator's pages: open without Twilio's Basic auth, and not Twilio requests to record. */
const isSimulator = (url: string) => {
  const path = url.split('?')[0] ?? ''
  return path === '/' || path.startsWith('/demo/')
}

function toParams(value: unknown): Params {
  return value !== null && typeof value === 'object' ? { ...(value as Params) } : {}
}

/** Starts a fake Twilio REST API (2010-04-01 Messages, Calls, Recordings) that the real twilio library can be pointed at. */
export async function createFakeTwilio(options: FakeTwilioOptions): Promise<FakeTwilio> {
  const { accountSid, authToken, host = '127.0.0.1', port = 0, webhookBaseUrl, autoStatusCallbacks = false, onActivity } = options
  const { timeZone = 'Asia/Almaty' } = options
  const messages: Recorded[] = []
  const calls: Recorded[] = []
  const requests: RequestRecord[] = []
  const callbackErrors: CallbackError[] = []
  const stored = { Messages: new Map<string, Resource>(), Calls: new Map<string, Resource>() }
  const failures = new FailureQueue()
  const hanging = new Set<Socket>()
  const answered = new WeakSet<FastifyRequest>()
  const runner = createStepRunner({
    authToken,
    intervalMs: 50,
    onError: (error) => callbackErrors.push(error),
    onPosted: (sid, status, answer) => onActivity?.({ kind: 'callback', sid, status, answer }),
  })
  let fakeUrl = ''
  const expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`

  function record(request: FastifyRequest, status: RequestRecord['status']) {
    if (answered.has(request)) return
    answered.add(request)
    const params = toParams(request.body ?? request.query)
    requests.push({ method: request.method, url: request.url, params, status, receivedAt: new Date() })
  }

  /** Takes the request away from fastify and either leaves it unanswered or cuts the connection. */
  function abandon(request: FastifyRequest, reply: FastifyReply, how: 'hang' | 'reset') {
    record(request, how)
    reply.hijack()
    const socket = request.raw.socket
    if (how === 'reset') socket.destroy()
    else {
      hanging.add(socket)
      socket.once('close', () => hanging.delete(socket))
    }
    return reply
  }

  const notFound = (request: FastifyRequest) =>
    twilioError(404, 20404, `The requested resource ${request.url.split('?')[0]} was not found`)

  async function create(request: FastifyRequest, reply: FastifyReply, path: ResourcePath) {
    const params = toParams(request.body)
    const report = (answer: number | 'hang' | 'reset', outcome: Outcome = {}) =>
      onActivity?.({ kind: 'create', resource: path, answer, ...outcome })
    const failure = failures.take(path)
    if (failure?.kind === 'error') {
      report(failure.body.status, { code: failure.body.code })
      return reply.code(failure.body.status).send(failure.body)
    }
    if (failure?.kind === 'hang' || failure?.kind === 'reset') {
      report(failure.kind)
      return abandon(request, reply, failure.kind)
    }
    const invalid = path === 'Messages' ? validateMessage(params) : validateCall(params)
    if (invalid) {
      report(400, { code: invalid.code })
      return reply.code(400).send(invalid)
    }
    const now = new Date()
    const build = path === 'Messages' ? { sid: newSid('SM'), make: buildMessage } : { sid: newSid('CA'), make: buildCall }
    const resource = build.make({ accountSid, sid: build.sid, params, now })
    stored[path].set(resource.sid, resource)
    ;(path === 'Messages' ? messages : calls).push({ sid: resource.sid, params, receivedAt: now })
    if (autoStatusCallbacks) {
      const steps = path === 'Messages' ? messageSteps(resource, params, accountSid) : callSteps(resource, params, accountSid)
      runner.start(resource, steps, param(params, 'StatusCallback'))
    }
    const numSegments = path === 'Messages' ? Number(resource.num_segments) : undefined
    const answer = failure?.kind === 'acceptThen' ? failure.after : 201
    report(answer, { sid: resource.sid, status: resource.status, numSegments })
    if (failure?.kind === 'acceptThen') return abandon(request, reply, failure.after)
    return reply.code(201).send({ ...resource })
  }

  function fetchOne(path: ResourcePath) {
    return async (request: FastifyRequest<{ Params: { Sid: string } }>, reply: FastifyReply) => {
      const resource = stored[path].get(request.params.Sid)
      return resource ? reply.send({ ...resource }) : reply.code(404).send(notFound(request))
    }
  }

  /** A list page, newest first, filtered by To (the service looks for an earlier send this way). */
  function list(path: ResourcePath) {
    const key = path === 'Messages' ? 'messages' : 'calls'
    return async (request: FastifyRequest<{ Querystring: { To?: string; PageSize?: string } }>, reply: FastifyReply) => {
      const size = Math.min(Number(request.query.PageSize ?? 50) || 50, 1000)
      const all = [...stored[path].values()].reverse().filter((r) => !request.query.To || r.to === request.query.To)
      const uri = request.url
      return reply.send({
        [key]: all.slice(0, size),
        start: 0,
        end: Math.max(0, Math.min(size, all.length) - 1),
        page: 0,
        page_size: size,
        uri,
        first_page_uri: uri,
        next_page_uri: null,
        previous_page_uri: null,
      })
    }
  }

  const app = Fastify({ logger: false, forceCloseConnections: true })
  await app.register(formbody)
  app.addHook('onRequest', async (request, reply) => {
    if (isSimulator(request.url)) return
    if (request.headers.authorization !== expectedAuth) return reply.code(401).send(twilioError(401, 20003))
    const account = (request.params as { AccountSid?: string } | undefined)?.AccountSid
    if (account !== undefined && account !== accountSid) return reply.code(404).send(notFound(request))
  })
  app.addHook('onResponse', async (request, reply) => {
    if (!isSimulator(request.url)) record(request, reply.statusCode)
  })
  const base = `/${API_VERSION}/Accounts/:AccountSid`
  app.post(`${base}/Messages.json`, (request, reply) => create(request, reply, 'Messages'))
  app.post(`${base}/Calls.json`, (request, reply) => create(request, reply, 'Calls'))
  app.get(`${base}/Messages.json`, list('Messages'))
  app.get(`${base}/Calls.json`, list('Calls'))
  app.get(`${base}/Messages/:Sid.json`, fetchOne('Messages'))
  app.get(`${base}/Calls/:Sid.json`, fetchOne('Calls'))
  const recordings = recordingsApi(app, { accountSid, url: () => fakeUrl })
  const inbound = inboundSms({
    accountSid,
    authToken,
    webhookUrl: (path) => webhookUrl(path),
    defaultTo: () => messages.map((m) => param(m.params, 'From')).find(Boolean) ?? DEFAULT_NUMBER,
  })
  phoneSimulator(app, {
    timeZone,
    serviceUrl: webhookBaseUrl,
    threads: () => phoneThreads({ messages, calls, inbound: inbound.records }),
    send: inbound.send,
  })
  app.setNotFoundHandler((request, reply) => reply.code(404).send(notFound(request)))

  await app.listen({ host, port })
  const { port: actualPort } = app.server.address() as AddressInfo
  const reachableHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  fakeUrl = `http://${reachableHost}:${actualPort}`

  function webhookUrl(path: string) {
    if (!webhookBaseUrl) throw new Error('the fake Twilio needs webhookBaseUrl to call the service')
    return webhookBaseUrl.replace(/\/+$/, '') + path
  }

  return {
    url: fakeUrl,
    messages,
    calls,
    requests,
    callbackErrors,
    inbound: inbound.records,
    failNext: (failure) => failures.push(failure),
    reset() {
      void runner.cancel()
      for (const list of [messages, calls, requests, callbackErrors, inbound.records]) list.length = 0
      stored.Messages.clear()
      stored.Calls.clear()
      recordings.stored.clear()
      failures.clear()
    },
    sendInboundSms: inbound.send,
    addRecording: recordings.add,
    sendStatusCallback(url, params, { signature } = {}) {
      return signedPost({ url, params: { AccountSid: accountSid, ApiVersion: API_VERSION, ...params }, authToken, signature })
    },
    async close() {
      await runner.cancel()
      for (const socket of hanging) socket.destroy()
      await app.close()
    },
  }
}
