import { type MessageKey, message } from '../../domain/messages/index.js'
import { formatReference } from '../../domain/reference.js'
import type { Language, RequestState } from '../../domain/request-states.js'
import { formatTime } from '../../domain/time.js'
import type { RequesterStatus } from '../../services/status.js'

/** received and queued read the same to a requester: nobody has called yet, or will again. */
type Phase = Exclude<RequestState, 'received' | 'queued'> | 'waiting'
const phase = (status: RequestState): Phase => (status === 'received' || status === 'queued' ? 'waiting' : status)

/** The box's colour follows the news; the words alone carry it too. */
const TONES: Partial<Record<Phase, 'good' | 'help' | 'bad'>> = {
  reached_safe: 'good',
  reached_needs_help: 'help',
  wrong_number: 'bad',
  unreachable: 'bad',
}

const day = (at: Date, timeZone: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at)

/**
 * The status page's result in the requester's language: the outcome as a sentence, the
 * volunteer's message, the calls so far, what happens next and when, and the last change. Every
 * time in the service's zone with the zone named; a time today without its date.
 */
export function statusView(status: RequesterStatus, options: { language: Language; timeZone: string; now?: Date }) {
  const { language, timeZone } = options
  const t = (key: MessageKey, params?: Record<string, string | number>) => message(language, key, params)
  const today = day(options.now ?? new Date(), timeZone)
  const time = (at: Date) => formatTime(at, { language, timeZone, style: day(at, timeZone) === today ? 'time' : 'dateTime' })
  const now = phase(status.status)
  const next = status.nextAttemptAt
    ? t('page.status.next.retry', { time: time(status.nextAttemptAt) })
    : t(status.retrying ? 'page.status.next.retryDue' : `page.status.next.${now}`)
  return {
    reference: formatReference(status.reference),
    tone: TONES[now] ?? 'neutral',
    state: t(`state.${status.status}`),
    now: t(`page.status.now.${now}`),
    message: status.messageToRequester,
    calls: status.attempts > 0 ? t('page.status.calls', { count: status.attempts }) : t('page.status.noCalls'),
    next,
    updated: time(status.updatedAt),
    updatedIso: status.updatedAt.toISOString(),
  }
}
