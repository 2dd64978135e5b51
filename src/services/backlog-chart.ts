import { type BacklogPoint, PRIORITY_BANDS, type PriorityBand } from '../db/backlog-repository.js'
import { zoneLabel } from '../domain/time.js'

/** The chart's words, in the page's language (the caller's catalogue). */
export type ChartText = {
  title: string
  description: string
  bands: Record<PriorityBand | 'inCalls' | 'done', string>
}

/** The series stacked in each bar, bottom up; `done` is drawn as a line over them. */
export const STACK = [...PRIORITY_BANDS, 'inCalls'] as const
type Series = (typeof STACK)[number]

const W = 360
const H = 200
const PAD = { left: 30, right: 6, top: 8, bottom: 24 }
const plotW = W - PAD.left - PAD.right
const plotH = H - PAD.top - PAD.bottom

const escapeXml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)

const value = (p: BacklogPoint, s: Series) => (s === 'inCalls' ? p.inCalls : p.waiting[s])

/** A round top for the axis with at most four steps of 1, 2 or 5 × 10ⁿ. */
export function niceSteps(max: number): number[] {
  if (max <= 0) return [0, 1]
  const raw = max / 4
  const power = 10 ** Math.floor(Math.log10(raw))
  const step = ([1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power) || 1
  const top = Math.ceil(max / step) * step
  return Array.from({ length: Math.round(top / step) + 1 }, (_, i) => Math.round(i * step))
}

/**
 * The backlog over the last hours as an SVG drawn on the server (no script, no library in the
 * browser): a stacked bar per bucket — waiting by priority band, then in calls — and the calls
 * finished in each bucket as a line. The colours live in site.css (`.chart-*`); the words
 * (`title`, `desc`, legend) are the caller's, and a table with the same numbers goes next to it.
 * Axis times in the service's one zone, the zone named once in the caption (see `chartCaption`).
 */
export function backlogChartSvg(points: BacklogPoint[], options: { language: string; timeZone: string; text: ChartText }) {
  const { text } = options
  const steps = niceSteps(
    Math.max(
      1,
      ...points.map((p) =>
        Math.max(
          p.done,
          STACK.reduce((n, s) => n + value(p, s), 0),
        ),
      ),
    ),
  )
  const top = steps.at(-1) ?? 1
  const slot = plotW / Math.max(1, points.length)
  const y = (n: number) => PAD.top + plotH - (n / top) * plotH
  const x = (i: number) => PAD.left + i * slot
  const tickEvery = Math.max(1, Math.round(points.length / 6))
  const hour = new Intl.DateTimeFormat(options.language, {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: options.timeZone,
  })
  const parts: string[] = []
  for (const n of steps) {
    parts.push(`<line class="chart-grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(n)}" y2="${y(n)}"/>`)
    parts.push(`<text class="chart-axis" x="${PAD.left - 4}" y="${y(n) + 4}" text-anchor="end">${n}</text>`)
  }
  points.forEach((p, i) => {
    let base = 0
    for (const s of STACK) {
      const n = value(p, s)
      if (n > 0) {
        const h = y(base) - y(base + n)
        parts.push(
          `<rect class="chart-${s}" x="${(x(i) + slot * 0.15).toFixed(1)}" y="${y(base + n).toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" height="${h.toFixed(1)}"/>`,
        )
      }
      base += n
    }
    // About six ticks (every two hours of 30-minute buckets), counted back from the last.
    // The last tick ends at the right edge rather than past it.
    if ((points.length - 1 - i) % tickEvery === 0) {
      const [tx, anchor] = i === points.length - 1 ? [x(i) + slot, 'end'] : [x(i) + slot / 2, 'middle']
      parts.push(
        `<text class="chart-axis" x="${tx.toFixed(1)}" y="${H - 8}" text-anchor="${anchor}">${escapeXml(hour.format(p.at))}</text>`,
      )
    }
  })
  const line = points.map((p, i) => `${(x(i) + slot / 2).toFixed(1)},${y(p.done).toFixed(1)}`).join(' ')
  parts.push(`<polyline class="chart-done" points="${line}"/>`)
  for (const [i, p] of points.entries())
    if (p.done > 0)
      parts.push(`<circle class="chart-done-dot" cx="${(x(i) + slot / 2).toFixed(1)}" cy="${y(p.done).toFixed(1)}" r="2.5"/>`)
  parts.push(`<line class="chart-base" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(0)}" y2="${y(0)}"/>`)
  return (
    `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="chart-title">${escapeXml(text.title)}</title><desc id="chart-desc">${escapeXml(text.description)}</desc>` +
    `${parts.join('')}</svg>`
  )
}

/** The zone the axis is in, for the caption: "UTC+5". */
export const chartZone = (points: BacklogPoint[], timeZone: string) => zoneLabel(points.at(-1)?.at ?? new Date(), timeZone)
