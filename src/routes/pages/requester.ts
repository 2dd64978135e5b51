import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { z } from 'zod'
import { type Config, redisKeyPrefix } from '../../config.js'
import { KZ_CITIES } from '../../domain/kz-cities.js'
import { type MessageKey, message } from '../../domain/messages/index.js'
import { formatReference } from '../../domain/reference.js'
import { LANGUAGES, type Language } from '../../domain/request-states.js'
import { Errors } from '../../errors.js'
import { PhoneSchema, singleValues } from '../../schemas/common.js'
import { CreateRequestSchema } from '../../schemas/requests.js'
import { createRequest, fromApiBody } from '../../services/intake.js'
import { hitPhoneLimit } from '../../services/phone-limit.js'
import { requesterStatus } from '../../services/status.js'
import { statusView } from './status-view.js'

type Form = Record<string, string | undefined>

/** The form's fields, in order, with the body path each one fills. */
const FIELDS = [
  { group: 'page.you', name: 'requesterName', path: 'requester.name', type: 'text', max: 100, autocomplete: 'name' },
  { group: 'page.you', name: 'requesterPhone', path: 'requester.phone', type: 'tel', max: 32, autocomplete: 'tel' },
  { group: 'page.you', name: 'language', path: 'requester.language', type: 'select' },
  { group: 'page.you', name: 'notifyVia', path: 'requester.notifyVia', type: 'select' },
  { group: 'page.relative', name: 'relativeName', path: 'relative.name', type: 'text', max: 100 },
  { group: 'page.relative', name: 'relativePhone', path: 'relative.phone', type: 'tel', max: 32 },
  { group: 'page.relative', name: 'relativeAltPhone', path: 'relative.altPhone', type: 'tel', max: 32 },
  { group: 'page.relative', name: 'city', path: 'relative.city', type: 'text', max: 100, list: 'cities' },
  { group: 'page.relative', name: 'address', path: 'relative.address', type: 'text', max: 300 },
  { group: 'page.relative', name: 'notes', path: 'relative.notes', type: 'textarea', max: 1000 },
  { group: 'page.needs', name: 'elderly', path: 'flags.elderly', type: 'checkbox', label: 'page.flag.elderly' },
  { group: 'page.needs', name: 'medical', path: 'flags.medical', type: 'checkbox', label: 'page.flag.medical' },
  { group: 'page.needs', name: 'children', path: 'flags.children', type: 'checkbox', label: 'page.flag.children' },
  { group: 'page.needs', name: 'disability', path: 'flags.disability', type: 'checkbox', label: 'page.flag.disability' },
  // Its own box just above the button, not one more answer to the needs question.
  { group: 'page.agreement', name: 'consent', path: 'consent', type: 'checkbox' },
] as const

const LANGUAGE_LABELS: Record<Language, string> = { kk: 'Қазақша', ru: 'Русский', en: 'English' }
const CITIES = [...new Set(KZ_CITIES.flatMap((c) => [c.kk, c.ru, c.en]))]

/** The API body the form stands for, so the very same schema and intake judge it. */
function toBody(form: Form) {
  const optional = (v: string | undefined) => (v?.trim() ? v : undefined)
  return {
    requester: {
      name: form.requesterName ?? '',
      phone: form.requesterPhone ?? '',
      language: form.language,
      notifyVia: form.notifyVia,
    },
    relative: {
      name: form.relativeName ?? '',
      phone: form.relativePhone ?? '',
      altPhone: optional(form.relativeAltPhone),
      city: form.city ?? '',
      address: optional(form.address),
      notes: optional(form.notes),
    },
    flags: {
      elderly: form.elderly === 'true',
      medical: form.medical === 'true',
      children: form.children === 'true',
      disability: form.disability === 'true',
    },
    consent: form.consent === 'true',
  }
}

/**
 * A field error in the person's words, by the issue's field, code and input: never by the
 * schema's wording, which may change. Needs the issues parsed with `reportInput`.
 */
function errorKey(issue: z.core.$ZodIssue, form: Form): MessageKey {
  const field = FIELDS.find((f) => f.path === issue.path.join('.'))
  if (field?.name === 'consent') return 'page.error.consent'
  if (issue.code === 'too_big') return 'page.error.tooLong'
  if (issue.code !== 'custom') return 'page.error.invalid'
  // Nothing typed is "fill this in", whatever the field would have accepted (a phone too).
  if (issue.input === '' || (field && (form[field.name] ?? '').trim() === '')) return 'page.error.required'
  // A number the phone schema itself accepts was refused for the channel chosen: no SMS there.
  if (field?.type === 'tel') return PhoneSchema.safeParse(form[field.name] ?? '').success ? 'page.error.sms' : 'page.error.phone'
  return 'page.error.invalid'
}

function renderForm(
  reply: FastifyReply,
  options: { form?: Form; errors?: Map<string, MessageKey>; notice?: MessageKey; status?: number; days: number },
) {
  const lang = reply.request.lang
  const t = (key: MessageKey, params?: Record<string, string | number>) => message(lang, key, params)
  const form = options.form ?? { language: lang, notifyVia: 'sms' }
  const errors = options.errors ?? new Map()
  const firstError = FIELDS.find((f) => errors.has(f.path))?.name
  const fields = FIELDS.map((f) => ({
    ...f,
    label:
      f.name === 'consent'
        ? t('page.consent', { days: options.days })
        : t('label' in f ? f.label : (`page.field.${f.name}` as MessageKey)),
    // The summary names the consent by its box, not by repeating the whole notice.
    summary: f.name === 'consent' ? t('page.agreement') : undefined,
    value: f.type === 'checkbox' ? form[f.name] === 'true' : (form[f.name] ?? ''),
    error: errors.has(f.path) ? t(errors.get(f.path) as MessageKey) : undefined,
    autofocus: f.name === firstError,
    required: ['requesterName', 'requesterPhone', 'relativeName', 'relativePhone', 'city'].includes(f.name),
    options:
      f.name === 'language'
        ? LANGUAGES.map((l) => ({ value: l, label: LANGUAGE_LABELS[l] }))
        : f.name === 'notifyVia'
          ? [
              { value: 'sms', label: t('page.notifyVia.sms') },
              { value: 'voice', label: t('page.notifyVia.voice') },
            ]
          : [],
  }))
  const groups = (['page.you', 'page.relative', 'page.needs', 'page.agreement'] as const).map((g) => ({
    name: g.slice('page.'.length),
    legend: t(g),
    fields: fields.filter((f) => f.group === g),
  }))
  return reply.page(
    'request-form',
    {
      groups,
      fields,
      errorCount: errors.size,
      notice: options.notice && t(options.notice),
      cities: CITIES,
      csrf: reply.generateCsrf(),
    },
    options.status ?? 200,
  )
}

const t = (request: FastifyRequest, key: MessageKey) => message(request.lang, key)

/** `/` the request form and `/status`: the requester's pages, no account, no JavaScript needed. */
const requester: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  const days = config.RETENTION_DAYS
  const limit = { rateLimit: { max: config.RATE_LIMIT_PER_IP_PER_MINUTE, timeWindow: 60_000 } }

  app.get('/', async (_request, reply) => renderForm(reply, { days }))

  app.post('/', { preHandler: app.csrfProtection, config: limit }, async (request: FastifyRequest<{ Body: Form }>, reply) => {
    // Line ends as the browser counted them for maxlength: a form sends each one as CRLF.
    const form = Object.fromEntries(Object.entries(singleValues(request.body)).map(([k, v]) => [k, v.replace(/\r\n/g, '\n')]))
    // A filled honeypot is a bot: it is thanked and nothing is stored.
    if (form.website) return reply.page('request-created', { kind: 'created', reference: '—', referenceRaw: '' })
    const parsed = CreateRequestSchema.safeParse(toBody(form), { reportInput: true })
    if (!parsed.success) {
      const errors = new Map<string, MessageKey>()
      for (const issue of parsed.error.issues) {
        const path = issue.path.join('.')
        if (!errors.has(path)) errors.set(path, errorKey(issue, form))
      }
      return renderForm(reply, { form, errors, status: 400, days })
    }
    try {
      await hitPhoneLimit(app.redis, {
        keyPrefix: redisKeyPrefix(config),
        phone: parsed.data.requester.phone.e164,
        perHour: config.RATE_LIMIT_PER_PHONE_PER_HOUR,
      })
    } catch (err) {
      // Only the limit itself is "limited"; anything else is not the person's doing.
      if (!(err instanceof Errors.RATE_LIMITED)) throw err
      return renderForm(reply, { form, notice: 'page.error.limited', status: 429, days })
    }
    const result = await createRequest(app.db, fromApiBody(parsed.data, 'web'))
    request.log.info(
      { reference: result.request.reference, created: result.created, linked: result.linked },
      'request from the form',
    )
    const kind = result.created ? 'created' : result.linked ? 'linked' : 'already'
    return reply.page(
      'request-created',
      { kind, reference: formatReference(result.request.reference), referenceRaw: result.request.reference },
      result.created ? 201 : 200,
    )
  })

  app.get('/status', async (request: FastifyRequest<{ Querystring: { ref?: string } }>, reply) =>
    reply.page('status', { ref: (request.query.ref ?? '').slice(0, 16), errors: {}, csrf: reply.generateCsrf() }),
  )

  // A POST, so that the phone stays out of URLs and histories. A wrong phone looks exactly like
  // an unknown reference.
  app.post(
    '/status',
    { preHandler: app.csrfProtection, config: { rateLimit: { max: 60, timeWindow: 60_000 } } },
    async (request: FastifyRequest<{ Body: Form }>, reply) => {
      const form = singleValues(request.body)
      const ref = (form.ref ?? '').slice(0, 16)
      // Nothing typed is said at its field; a wrong pair is said once, the same for either half.
      const errors = {
        ref: ref.trim() ? undefined : t(request, 'page.error.required'),
        phone: form.phone?.trim() ? undefined : t(request, 'page.error.required'),
      }
      if (errors.ref || errors.phone) return reply.page('status', { ref, errors, csrf: reply.generateCsrf() }, 400)
      const found = await requesterStatus({ db: app.db, config }, { reference: form.ref ?? '', phone: form.phone ?? '' })
      const result = found && statusView(found, { language: request.lang, timeZone: config.TIME_ZONE })
      return reply.page('status', { ref, errors: {}, csrf: reply.generateCsrf(), result, notFound: !found }, found ? 200 : 404)
    },
  )
}
export default requester
