import { type BacklogPoint, type BacklogSummary, PRIORITY_BANDS } from '../../db/backlog-repository.js'
import { KZ_CITIES, KZ_TOWNS } from '../../domain/kz-cities.js'
import { type MessageKey, message } from '../../domain/messages/index.js'
import { LANGUAGES, type Language, REQUEST_STATES, type RequestState } from '../../domain/request-states.js'
import { formatTime } from '../../domain/time.js'
import { backlogChartSvg, type ChartText, chartZone, STACK } from '../../services/backlog-chart.js'
import { referralsView } from './coordinator-referrals-view.js'

/**
 * What the coordinator's pages show, in the coordinator's language: words for states, events,
 * actors, languages and places (never a key or a code), times in the service's one zone, and the
 * dashboard's numbers with their plurals. The routes (./coordinator.ts) fetch; this renders.
 */
export type Texts = (key: MessageKey, params?: Record<string, string | number>) => string
export type View = { language: Language; timeZone: string }

export const texts =
  (language: Language): Texts =>
  (key, params) =>
    message(language, key, params)

const PLACES = new Map<string, Record<Language, string>>([
  ...KZ_CITIES.map((c): [string, Record<Language, string>] => [c.id, { kk: c.kk, ru: c.ru, en: c.en }]),
  ...KZ_TOWNS.map(([id, kk, ru, en]): [string, Record<Language, string>] => [id, { kk, ru, en }]),
])

/**
 * A place by its backlog key: a listed place's name in the page's language; otherwise the key
 * itself (the folded text a requester typed), marked as theirs (`known: false`).
 */
export function placeName(key: string, language: Language): { name: string; known: boolean } {
  const names = PLACES.get(key)
  return names ? { name: names[language], known: true } : { name: key, known: false }
}

/** The coordinator tells "received" (not yet in the queue) from "queued"; a requester need not. */
export function stateName(t: Texts, state: RequestState): string {
  return state === 'received' || state === 'queued' ? t(`page.coord.state.${state}`) : t(`state.${state}`)
}

export const languageName = (t: Texts, code: string) =>
  (LANGUAGES as readonly string[]).includes(code) ? t(`page.coord.lang.${code as Language}`) : code

/** A time as every page shows it: in the one zone, named. */
export const timeOf = (at: Date | string, view: View) => formatTime(at, { ...view, style: 'dateTime' })

type Event = { type: string; actorType: string; data: Record<string, unknown> | null; at: Date | string }
const EVENTS = new Set([
  'received',
  'requester_linked',
  'requester_unlinked',
  'queued',
  'claimed',
  'released',
  'lease_expired',
  'lease_ended',
  'outcome',
  'cancelled',
  'priority_changed',
  'requeued',
  'merged',
  'merged_in',
  'escalated',
  'needs_added',
  'purged',
])
const OUTCOMES = new Set(['reached_safe', 'reached_needs_help', 'no_answer', 'busy', 'wrong_number', 'unreachable'])
const ACTORS = new Set(['requester', 'system', 'volunteer', 'coordinator'])
const SOURCES = new Set(['web', 'api', 'sms', 'voice'])

/**
 * A request's history in words. An event type this page does not know yet (a newer writer) reads
 * as "another change" rather than as its code; a cancel's reason is the canceller's own text.
 */
export function historyEntries(events: Event[], view: View) {
  const t = texts(view.language)
  return events.map((e) => {
    const data = e.data ?? {}
    const known = EVENTS.has(e.type) ? (e.type as 'received') : null
    let text = known ? t(`page.coord.event.${known}`) : t('page.coord.event.other')
    if (e.type === 'outcome' && OUTCOMES.has(String(data.outcome)))
      text = t('page.coord.event.outcomeWith', { outcome: t(`page.coord.outcome.${data.outcome as 'busy'}`) })
    if (e.type === 'priority_changed' && typeof data.to === 'number')
      text = t('page.coord.event.priorityTo', { priority: data.to })
    if (e.type === 'escalated' && typeof data.priority === 'number')
      text = t('page.coord.event.escalatedTo', { priority: data.priority })
    const source = SOURCES.has(String(data.source)) ? t(`page.coord.source.${data.source as 'web'}`) : undefined
    return {
      iso: new Date(e.at).toISOString(),
      time: timeOf(e.at, view),
      text,
      source: e.type === 'received' || e.type === 'requester_linked' ? source : undefined,
      actor: ACTORS.has(e.actorType) ? t(`page.coord.actor.${e.actorType as 'system'}`) : undefined,
      reason: e.type === 'cancelled' && typeof data.reason === 'string' ? data.reason : undefined,
    }
  })
}

type Card = { label: string; value: string; k?: string }
type GroupRow = { name: string; theirs?: boolean }

/**
 * The dashboard's numbers. Counts carry their summary path (`k`) so the page's script updates
 * them from the live stream at once; waits are words with plurals ("1 минута", "21 минута"),
 * refreshed with the server-rendered fragment.
 */
export function dashboardView(summary: BacklogSummary, view: View) {
  const t = texts(view.language)
  const count = (label: MessageKey, k: string, n: number): Card => ({ label: t(label), value: String(n), k })
  const minutes = (label: MessageKey, seconds: number): Card => ({
    label: t(label),
    value: t('page.coord.minutes', { count: Math.round(seconds / 60) }),
  })
  const { waiting, claimed, lastHour, volunteers, notifications } = summary
  const cards: Card[] = [
    count('page.coord.card.waiting', 'waiting.total', waiting.total),
    minutes('page.coord.card.oldestWait', waiting.oldestWaitingSeconds),
    minutes('page.coord.card.medianWait', waiting.medianWaitSeconds),
    count('page.coord.card.claimedNow', 'claimed.now', claimed.now),
    count('page.coord.card.expiring', 'claimed.leasesExpiringSoon', claimed.leasesExpiringSoon),
    count('page.coord.card.escalated', 'waiting.escalated', waiting.escalated),
    count('page.coord.card.receivedHour', 'lastHour.received', lastHour.received),
    count('page.coord.card.outcomesHour', 'lastHour.outcomes', lastHour.outcomes),
    count('page.coord.card.available', 'volunteers.available', volunteers.available),
    count('page.coord.card.active', 'volunteers.active', volunteers.active),
    count('page.coord.card.failed', 'notifications.failed', notifications.failed),
    count('page.coord.card.undelivered', 'notifications.undelivered', notifications.undelivered),
  ]
  const states = REQUEST_STATES.map((s) => ({ key: s, name: stateName(t, s), n: summary.counts[s] }))
  const group = (label: MessageKey, dim: 'byPriority' | 'byLanguage' | 'byCity', name: (key: string) => GroupRow) => ({
    label: t(label),
    dim,
    rows: Object.entries(waiting[dim])
      .sort(([a, x], [b, y]) => (dim === 'byPriority' ? Number(a) - Number(b) : y - x))
      .map(([key, n]) => ({ ...name(key), key, n })),
  })
  const groups = [
    group('page.coord.priority', 'byPriority', (key) => ({ name: key })),
    group('page.coord.language', 'byLanguage', (key) => ({ name: languageName(t, key) })),
    group('page.coord.field.place', 'byCity', (key) => {
      const place = placeName(key, view.language)
      return { name: place.name, theirs: !place.known }
    }),
  ]
  return { cards, states, groups, referrals: referralsView(summary.referrals, t) }
}

/**
 * The chart of the last hours and its table: the same numbers twice, as a picture and as text
 * (the table is what a screen reader or a text browser reads). The last bucket is "now".
 */
export function chartView(points: BacklogPoint[], options: View & { hours: number; bucketMinutes: number }) {
  const t = texts(options.language)
  const last = points.at(-1)
  const waitingNow = last ? PRIORITY_BANDS.reduce((n, b) => n + last.waiting[b], 0) : 0
  const text: ChartText = {
    title: t('page.coord.chart.title', { hours: options.hours }),
    description: t('page.coord.chart.description', {
      waiting: waitingNow,
      inCalls: last?.inCalls ?? 0,
      done: points.reduce((n, p) => n + p.done, 0),
      hours: options.hours,
    }),
    bands: {
      high: t('page.coord.chart.high'),
      raised: t('page.coord.chart.raised'),
      normal: t('page.coord.chart.normal'),
      inCalls: t('page.coord.chart.inCalls'),
      done: t('page.coord.chart.done'),
    },
  }
  return {
    svg: backlogChartSvg(points, { language: options.language, timeZone: options.timeZone, text }),
    title: text.title,
    zone: chartZone(points, options.timeZone),
    caption: t('page.coord.chart.caption', { minutes: options.bucketMinutes, zone: chartZone(points, options.timeZone) }),
    legend: [...STACK, 'done' as const].map((key) => ({ key, label: text.bands[key] })),
    rows: points.map((p, i) => ({
      time: i === points.length - 1 ? t('page.coord.chart.now') : formatTime(p.at, { ...options, style: 'time' }),
      values: [...PRIORITY_BANDS.map((b) => p.waiting[b]), p.inCalls, p.done],
    })),
  }
}

const VOLUNTEER_FIELDS = ['name', 'phone', 'password', 'languages'] as const
export type VolunteerField = (typeof VOLUNTEER_FIELDS)[number]
/** A refusal on the add-volunteer form: the message, and the API's code when there is one. */
export type FieldError = { key: MessageKey; code?: string }

/** The add-volunteer form as typed, with each error at its field (the first one focused). */
export function volunteerFormView(
  form: { name?: string; phone?: string; password?: string; languages?: string[] },
  errors: Partial<Record<VolunteerField, FieldError>>,
  language: Language,
) {
  const t = texts(language)
  const first = VOLUNTEER_FIELDS.find((f) => errors[f])
  const field = (name: VolunteerField) => ({
    value: name === 'languages' ? '' : (form[name] ?? ''),
    error: errors[name] && t(errors[name].key),
    code: errors[name]?.code,
    autofocus: name === first,
  })
  return {
    name: field('name'),
    phone: field('phone'),
    password: field('password'),
    languages: {
      ...field('languages'),
      options: LANGUAGES.map((code) => ({ code, name: languageName(t, code), checked: form.languages?.includes(code) })),
    },
    errors: VOLUNTEER_FIELDS.filter((f) => errors[f]).map((f) => ({ field: f, text: t((errors[f] as FieldError).key) })),
  }
}
