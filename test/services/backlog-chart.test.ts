import t from 'tap'
import type { BacklogPoint } from '../../src/db/backlog-repository.js'
import { backlogChartSvg, niceSteps } from '../../src/services/backlog-chart.js'

const text = {
  title: 'Backlog <12 h>',
  description: 'Waiting & "calls"',
  bands: { high: 'h', raised: 'r', normal: 'n', inCalls: 'c', done: 'd' },
}
const points = (n: number, f: (i: number) => Partial<BacklogPoint>): BacklogPoint[] =>
  Array.from({ length: n }, (_, i) => ({
    at: new Date(Date.UTC(2026, 11, 2, 0, 30 * (i + 1))),
    waiting: { high: 0, raised: 0, normal: 0 },
    inCalls: 0,
    done: 0,
    ...f(i),
  }))

t.test('axis steps are round and reach the highest value', async (t) => {
  t.same(niceSteps(0), [0, 1])
  t.same(niceSteps(3), [0, 1, 2, 3])
  t.same(niceSteps(7), [0, 2, 4, 6, 8])
  t.same(niceSteps(230), [0, 100, 200, 300])
  for (const max of [1, 9, 17, 99, 1234]) {
    const steps = niceSteps(max)
    t.ok((steps.at(-1) ?? 0) >= max && steps.length <= 6, `${max}: ${steps}`)
  }
})

t.test('the SVG: an accessible image, escaped words, bars stacked, times in the zone', async (t) => {
  const svg = backlogChartSvg(
    points(24, (i) => ({ waiting: { high: 1, raised: i % 3, normal: 2 }, inCalls: 1, done: i % 2 })),
    { language: 'ru', timeZone: 'Asia/Almaty', text },
  )
  t.match(svg, /^<svg class="chart" viewBox="0 0 360 200" role="img" aria-labelledby="chart-title chart-desc"/)
  t.match(svg, '<title id="chart-title">Backlog &lt;12 h&gt;</title>')
  t.match(svg, '<desc id="chart-desc">Waiting &amp; &quot;calls&quot;</desc>')
  t.equal([...svg.matchAll(/<rect class="chart-high"/g)].length, 24)
  t.equal([...svg.matchAll(/<rect class="chart-inCalls"/g)].length, 24)
  t.match(svg, '<polyline class="chart-done"')
  // The last bucket ends 12:00 UTC, 17:00 in Almaty: the axis speaks the service's zone, not the host's.
  t.match(svg, />17:00</)
  t.notMatch(svg, /style=|<script/)
})

t.test('an empty history still draws an axis, without bars', async (t) => {
  const svg = backlogChartSvg(
    points(24, () => ({})),
    { language: 'en', timeZone: 'Asia/Almaty', text },
  )
  t.notMatch(svg, '<rect')
  t.match(svg, /<line class="chart-base"/)
})
