import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { MessageKey } from '../../src/domain/messages/index.js'
import { message } from '../../src/domain/messages/index.js'
import { negotiateLanguage } from '../../src/domain/negotiate.js'
import { normalisePhone } from '../../src/domain/phone.js'
import type { Language } from '../../src/domain/request-states.js'
import { PHONE_CSS } from './phone-css.js'
import { type PhoneForm, renderPhonePage, threadId } from './phone-page.js'
import type { Thread } from './phone-threads.js'

/** Twilio's limit on one message's text. */
const MAX_BODY = 1600

export interface PhoneSimulatorOptions {
  timeZone: string
  /** The service's public URL (links to its pages). */
  serviceUrl?: string
  threads: () => Thread[]
  /** Delivers a text to the service; a failure is already kept with the thread, so it only needs catching. */
  send: (sms: { from: string; body: string }) => Promise<unknown>
}

type Query = { Querystring: { lang?: string } }
type Form = Record<string, string | string[] | undefined>

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value) ?? ''

function language(request: FastifyRequest<Query>): Language {
  return negotiateLanguage({ query: request.query.lang, acceptLanguage: request.headers['accept-language'] })
}

/**
 * A browser sends `Sec-Fetch-Site` (or at least `Origin`) with a form post: only the simulator's
 * own page may make the service receive a text, never another site the trainee has open.
 */
function crossSite(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site']
  if (site !== undefined) return site !== 'same-origin' && site !== 'none'
  const origin = request.headers.origin
  return origin !== undefined && origin !== `http://${request.headers.host}`
}

function check(fields: { from: string; body: string }) {
  const errors: NonNullable<PhoneForm['errors']> = {}
  const phone = normalisePhone(fields.from)
  if (!fields.from.trim()) errors.from = 'page.error.required'
  else if (!phone.ok) errors.from = 'page.error.phone'
  if (!fields.body.trim()) errors.body = 'page.error.required'
  else if (fields.body.length > MAX_BODY) errors.body = 'page.error.tooLong'
  return phone.ok && Object.keys(errors).length === 0 ? { from: phone.e164, errors: undefined } : { from: undefined, errors }
}

/**
 * The phone simulator of the demo (`/demo/phone`), served by the fake Twilio: every SMS and call
 * the service made, as threads per number, and boxes to text the service as that phone. Open
 * without Twilio's credentials, like any page; the fake's own root leads there.
 */
export function phoneSimulator(app: FastifyInstance, options: PhoneSimulatorOptions) {
  const page = (reply: FastifyReply, lang: Language, form?: PhoneForm, status = 200) =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'")
      .header('cache-control', 'no-store')
      .send(
        renderPhonePage({
          language: lang,
          timeZone: options.timeZone,
          serviceUrl: options.serviceUrl,
          threads: options.threads(),
          form,
        }),
      )

  app.get('/', async (_request, reply) => reply.redirect('/demo/phone', 302))
  app.get('/demo/phone.css', async (_request, reply) => reply.type('text/css; charset=utf-8').send(PHONE_CSS))
  app.get<Query>('/demo/phone', async (request, reply) => page(reply, language(request)))

  app.post<Query & { Body: Form }>('/demo/phone', async (request, reply) => {
    const lang = language(request)
    const refuse = (key: MessageKey) => reply.code(403).type('text/plain; charset=utf-8').send(message(lang, key))
    if (crossSite(request)) return refuse('demo.phone.refused')
    const body = request.body ?? {}
    const box = /^(new|t\d{1,20})$/.test(first(body.box)) ? first(body.box) : 'new'
    // Enough of each to show back, and to tell a text that is too long.
    const fields = { from: first(body.from).slice(0, 64), body: first(body.body).slice(0, MAX_BODY + 1) }
    const checked = check(fields)
    if (!checked.from) return page(reply, lang, { ...fields, box, errors: checked.errors }, 400)
    // A service that is down or refuses shows in the thread; the page itself stays up.
    await options.send({ from: checked.from, body: fields.body }).catch(() => undefined)
    return reply.redirect(`/demo/phone?lang=${lang}#${threadId(checked.from)}`, 303)
  })
}
