import type { Language } from './request-states.js'

export type TimeStyle = 'time' | 'dateTime'

const STYLES: Record<TimeStyle, Intl.DateTimeFormatOptions> = {
  time: { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
  dateTime: { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
}

/** "UTC+5" for Asia/Almaty: the zone's offset at that instant, the same words in every language. */
export function zoneLabel(at: Date, timeZone: string): string {
  const name = new Intl.DateTimeFormat('en', { timeZone, timeZoneName: 'shortOffset' })
    .formatToParts(at)
    .find((part) => part.type === 'timeZoneName')?.value
  return (name ?? 'GMT').replace(/^GMT/, 'UTC').replace(/^UTC$/, 'UTC+0')
}

/**
 * A time as people read it, in the service's one zone (`TIME_ZONE`), with the zone named:
 * "14:20 (UTC+5)". Every page, SMS and history uses this, so no two places disagree.
 */
export function formatTime(at: Date | string, options: { language: Language; timeZone: string; style?: TimeStyle }): string {
  const date = typeof at === 'string' ? new Date(at) : at
  const text = date.toLocaleString(options.language, { ...STYLES[options.style ?? 'dateTime'], timeZone: options.timeZone })
  return `${text} (${zoneLabel(date, options.timeZone)})`
}
