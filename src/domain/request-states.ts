/** The states of a request's life (see DESIGN.md). */
export const REQUEST_STATES = [
  'received',
  'queued',
  'claimed',
  'reached_safe',
  'reached_needs_help',
  'wrong_number',
  'unreachable',
  'cancelled',
  'duplicate',
] as const

export type RequestState = (typeof REQUEST_STATES)[number]

/** States in which a request is still being worked: a second identical request joins it. */
export const OPEN_STATES: readonly RequestState[] = ['received', 'queued', 'claimed']

export const LANGUAGES = ['kk', 'ru', 'en'] as const
export type Language = (typeof LANGUAGES)[number]
