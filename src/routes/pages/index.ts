import { join } from 'node:path'
import compress from '@fastify/compress'
import csrf from '@fastify/csrf-protection'
import formbody from '@fastify/formbody'
import helmet from '@fastify/helmet'
import fastifyStatic from '@fastify/static'
import view from '@fastify/view'
import { Eta } from 'eta'
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../../config.js'
import { type MessageKey, message } from '../../domain/messages/index.js'
import { negotiateLanguage } from '../../domain/negotiate.js'
import type { Language } from '../../domain/request-states.js'
import { PROJECT_ROOT } from '../../paths.js'
import partnerPage from '../partners/partner-page.js'
import coordinator from './coordinator.js'
import requester from './requester.js'
import volunteer from './volunteer.js'

declare module 'fastify' {
  interface FastifyRequest {
    lang: Language
  }
  interface FastifyReply {
    /** Renders a page in the request's language with the layout. */
    page: (template: string, data?: Record<string, unknown>, status?: number) => FastifyReply
  }
}

const VIEWS = join(PROJECT_ROOT, 'src', 'views')
const LANGUAGE_NAMES = [
  { code: 'kk', name: 'Қазақша' },
  { code: 'ru', name: 'Русский' },
  { code: 'en', name: 'English' },
]

/**
 * The pages for people: server-rendered (Eta, escaping by default), working without JavaScript,
 * with a strict Content-Security-Policy (no inline script or style), CSRF tokens on every form,
 * compressed, with the language from ?lang, the cookie, or Accept-Language (Russian otherwise).
 */
const pages: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  await app.register(formbody, { bodyLimit: 16 * 1024 })
  await app.register(compress, { global: true, threshold: 512 })
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        objectSrc: ["'none'"],
        upgradeInsecureRequests: config.PUBLIC_BASE_URL.startsWith('https:') ? [] : null,
      },
    },
  })
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: 'bailanys_csrf',
    cookieOpts: { httpOnly: true, sameSite: 'lax', path: '/', secure: config.PUBLIC_BASE_URL.startsWith('https:') },
  })
  await app.register(view, { engine: { eta: new Eta() }, root: VIEWS, viewExt: 'eta' })
  await app.register(fastifyStatic, {
    root: join(VIEWS, 'static'),
    prefix: '/assets/',
    maxAge: '365d',
    immutable: true,
    decorateReply: false,
  })

  app.decorateRequest('lang', 'ru')
  app.addHook('onRequest', async (request, reply) => {
    const query = (request.query as { lang?: string }).lang
    request.lang = negotiateLanguage({ query, cookie: request.cookies.lang, acceptLanguage: request.headers['accept-language'] })
    if (query === request.lang) reply.setCookie('lang', request.lang, { path: '/', sameSite: 'lax', maxAge: 365 * 86_400 })
  })

  app.decorateReply('page', function (this: FastifyReply, template: string, data: Record<string, unknown> = {}, status = 200) {
    const lang = this.request.lang
    const t = (key: MessageKey, params?: Record<string, string | number>) => message(lang, key, params)
    this.code(status).header('cache-control', 'no-store')
    return this.view(template, { lang, t, languages: LANGUAGE_NAMES, title: t('page.title'), ...data })
  })

  // Errors on pages are pages too, in the person's language; never JSON, never a stack.
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const t = (key: MessageKey) => message(request.lang, key)
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500
    if (status === 500) request.log.error({ err }, 'page error')
    const text =
      status === 403
        ? t('page.forbidden')
        : status === 429
          ? t('page.error.limited')
          : status === 500
            ? t('sms.unavailable')
            : t('page.error.invalid')
    return reply.page('message', { heading: t('page.title'), text, back: '/' }, status)
  })

  await app.register(requester, { config })
  await app.register(coordinator, { config })
  await app.register(volunteer, { config })
  await app.register(partnerPage, { config })
}
export default pages
