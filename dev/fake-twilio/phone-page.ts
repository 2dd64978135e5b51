import { type MessageKey, message } from '../../src/domain/messages/index.js'
import type { Language } from '../../src/domain/request-states.js'
import { formatTime } from '../../src/domain/time.js'
import type { Thread, ThreadEntry } from './phone-threads.js'

/** What the sender typed into a box, and what was wrong with it (catalogue keys). */
export interface PhoneForm {
  from: string
  body: string
  errors?: Partial<Record<'from' | 'body', MessageKey>>
  /** Which box the form came from: the new-conversation box (`new`) or a thread's reply box. */
  box: string
}

export interface PhonePageOptions {
  language: Language
  timeZone: string
  threads: Thread[]
  /** The service's public URL, for links to its pages; none when the fake does not know it. */
  serviceUrl?: string
  /** A form sent back with its errors and what was typed. */
  form?: PhoneForm
}

const LANGUAGES: Array<{ code: Language; name: string }> = [
  { code: 'kk', name: 'Қазақша' },
  { code: 'ru', name: 'Русский' },
  { code: 'en', name: 'English' },
]

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for HTML content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c)
}

/** The id of a thread's block: digits only, so it is a safe fragment and stable across reloads. */
export function threadId(phone: string): string {
  return `t${phone.replace(/\D/g, '')}`
}

/**
 * `/demo/phone`: the phone simulator. Plain HTML forms (no JavaScript), every text from the
 * catalogue; phones and message texts are marked `translate="no"` (they are data, not page text).
 */
export function renderPhonePage(options: PhonePageOptions): string {
  const { language, threads, form } = options
  const t = (key: MessageKey, params?: Record<string, string | number>) => escapeHtml(message(language, key, params))
  const time = (at: Date) => escapeHtml(formatTime(at, { language, timeZone: options.timeZone, style: 'dateTime' }))
  const formFor = (box: string) => (form?.box === box ? form : undefined)

  function sendForm(box: string, phone?: string): string {
    const mine = formFor(box)
    const id = (name: string) => `${box}-${name}`
    const error = (field: 'from' | 'body') => {
      const key = mine?.errors?.[field]
      return key ? `<p class="error" id="${id(field)}-error">${t(key)}</p>` : ''
    }
    // The first field in error takes the focus, as on the service's own forms.
    const first = mine?.errors?.from ? 'from' : 'body'
    const invalid = (field: 'from' | 'body') =>
      mine?.errors?.[field]
        ? ` aria-invalid="true" aria-describedby="${id(field)}-error"${field === first ? ' autofocus' : ''}`
        : ''
    const fromField = phone
      ? `<input type="hidden" name="from" value="${escapeHtml(phone)}">`
      : `<label for="${id('from')}">${t('demo.phone.from')}</label>${error('from')}<input type="tel" id="${id('from')}" name="from" value="${escapeHtml(mine?.from ?? '')}" maxlength="32" autocomplete="off" translate="no"${invalid('from')}>`
    return `<form method="post" action="/demo/phone?lang=${language}" novalidate>
<input type="hidden" name="box" value="${escapeHtml(box)}">${fromField}
<label for="${id('body')}">${phone ? t('demo.phone.reply') : t('demo.phone.body')}</label>${error('body')}
<textarea id="${id('body')}" name="body" rows="2" maxlength="1600"${invalid('body')}>${escapeHtml(mine?.body ?? '')}</textarea>
<p><button type="submit">${t('demo.phone.send')}</button></p>
</form>`
  }

  function entry(e: ThreadEntry): string {
    const when = `<time datetime="${e.at.toISOString()}">${time(e.at)}</time>`
    if (e.kind === 'problem') {
      const text = e.answer === 'unreachable' ? t('demo.phone.unreachable') : t('demo.phone.problem', { status: e.answer ?? 0 })
      return `<li class="problem" role="note">${when}<p>${text}</p></li>`
    }
    const who = e.kind === 'call' ? t('demo.phone.call') : t(e.direction === 'sent' ? 'demo.phone.sent' : 'demo.phone.received')
    const said = e.text ? `<p class="text" translate="no">${escapeHtml(e.text)}</p>` : ''
    const recordings = e.recordings ? `<p>${t('demo.phone.recordings', { count: e.recordings })}</p>` : ''
    const unheard = e.kind === 'call' && !said && !recordings ? `<p>${t('demo.phone.callUnheard')}</p>` : ''
    return `<li class="${e.direction} ${e.kind}"><span class="who">${who}</span> ${when}${said}${recordings}${unheard}</li>`
  }

  const thread = (th: Thread) => `<section class="thread" id="${threadId(th.phone)}" aria-labelledby="${threadId(th.phone)}-h">
<h2 id="${threadId(th.phone)}-h"><span translate="no">${escapeHtml(th.phone)}</span> <small>${t('demo.phone.count', { count: th.entries.length })}</small></h2>
${sendForm(threadId(th.phone), th.phone)}
<ol>${th.entries.map(entry).join('\n')}</ol>
</section>`

  const service = options.serviceUrl?.replace(/\/+$/, '')
  const links = service
    ? `<p>${t('demo.phone.links')} <a href="${escapeHtml(service)}/?lang=${language}">${t('demo.phone.link.form')}</a> · <a href="${escapeHtml(service)}/volunteer?lang=${language}">${t('demo.phone.link.volunteer')}</a> · <a href="${escapeHtml(service)}/coordinator?lang=${language}">${t('demo.phone.link.coordinator')}</a></p>`
    : ''
  const summary =
    form?.errors && Object.keys(form.errors).length > 0 ? `<p class="summary" role="alert">${t('page.errorsTitle')}</p>` : ''
  const languages = LANGUAGES.map(
    (l) =>
      `<a href="?lang=${l.code}" hreflang="${l.code}" lang="${l.code}"${l.code === language ? ' aria-current="true"' : ''}>${l.name}</a>`,
  ).join('')

  return `<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${t('demo.phone.title')}</title>
<link rel="stylesheet" href="/demo/phone.css">
</head>
<body>
<header><span>Bailanys</span><nav class="lang" aria-label="${t('page.language')}">${languages}</nav></header>
<main>
<h1>${t('demo.phone.title')}</h1>
<p>${t('demo.phone.intro')}</p>
${links}
<p><a href="/demo/phone?lang=${language}">${t('demo.phone.refresh')}</a></p>
${summary}
<section class="new" aria-labelledby="new-h"><h2 id="new-h">${t('demo.phone.new')}</h2>${sendForm('new')}</section>
${threads.length === 0 ? `<p class="empty">${t('demo.phone.empty')}</p>` : threads.map(thread).join('\n')}
</main>
</body>
</html>`
}
