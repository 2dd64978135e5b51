/**
 * A coordinator's dashboard on the live backlog: GET /api/v1/backlog/stream (Server-Sent Events)
 * kept open, reconnecting after 3 s when it closes, as a browser's EventSource does. Recorded
 * under the route: the time from the request to the first `backlog` event, or the failure.
 */
import http from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Recorder } from './recorder.js'

const ROUTE = 'GET /api/v1/backlog/stream (first event)'

export type StreamStats = { connections: number; events: number; longestSilenceS: number }

/** One stream until `over()`; resolves with what it saw. */
export async function liveStream(o: {
  port: number
  token: string
  recorder: Recorder
  over: () => boolean
}): Promise<StreamStats> {
  const stats: StreamStats = { connections: 0, events: 0, longestSilenceS: 0 }
  let lastEvent = Date.now()
  for (let i = 0; i < 10_000 && !o.over(); i++) {
    stats.connections++
    await new Promise<void>((resolve) => {
      const start = performance.now()
      let first = true
      const req = http.request(
        {
          host: '127.0.0.1',
          port: o.port,
          path: '/api/v1/backlog/stream',
          headers: { authorization: `Bearer ${o.token}`, accept: 'text/event-stream' },
        },
        (res) => {
          if (res.statusCode !== 200) {
            o.recorder.add(ROUTE, performance.now() - start, String(res.statusCode))
            res.resume()
          }
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            const events = chunk.split('event: backlog').length - 1
            if (events === 0) return
            if (first) o.recorder.add(ROUTE, performance.now() - start, String(res.statusCode))
            first = false
            stats.events += events
            stats.longestSilenceS = Math.max(stats.longestSilenceS, (Date.now() - lastEvent) / 1000)
            lastEvent = Date.now()
          })
          res.on('close', () => resolve())
        },
      )
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (first) o.recorder.add(ROUTE, performance.now() - start, err.code ?? 'error')
        first = false
        resolve()
      })
      req.end()
      // The run's end closes the stream; a dashboard never closes it by itself.
      const watch = setInterval(() => {
        if (!o.over()) return
        clearInterval(watch)
        first = false
        req.destroy()
      }, 250)
      req.on('close', () => clearInterval(watch))
    })
    if (!o.over()) await sleep(3000)
  }
  stats.longestSilenceS = Math.round(Math.max(stats.longestSilenceS, (Date.now() - lastEvent) / 1000) * 10) / 10
  return stats
}
