import type { FastifyBaseLogger } from 'fastify'
import { type BacklogSummary, backlogSummary } from '../db/backlog-repository.js'
import type { Db } from '../db/pool.js'

type Listener = (summary: BacklogSummary) => void

/**
 * One poller per API process for the live backlog: while anyone listens it computes the summary
 * every second and hands it to every listener when it changed. So a hundred open dashboards cost
 * one query set a second, and a change reaches them within about a second.
 */
export class BacklogBroadcaster {
  private readonly listeners = new Set<Listener>()
  private timer: NodeJS.Timeout | undefined
  private last: { json: string; summary: BacklogSummary } | undefined

  constructor(
    private readonly load: () => Promise<BacklogSummary>,
    private readonly log: FastifyBaseLogger,
    private readonly everyMs = 1000,
  ) {}

  /** Adds a listener, which gets the current summary at once; returns the unsubscribe. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener)
    if (this.last) listener(this.last.summary)
    if (!this.timer) {
      this.timer = setInterval(() => this.poll(), this.everyMs)
      this.poll()
    }
    return () => {
      this.listeners.delete(listener)
      if (this.listeners.size === 0) this.stop()
    }
  }

  stop() {
    clearInterval(this.timer)
    this.timer = undefined
    this.last = undefined
  }

  private async poll() {
    try {
      const summary = await this.load()
      const json = JSON.stringify(summary)
      if (json === this.last?.json) return
      this.last = { json, summary }
      for (const listener of this.listeners) listener(summary)
    } catch (err) {
      this.log.warn({ err }, 'backlog poll failed')
    }
  }
}

export function summaryLoader(db: Db, options: { escalateAfterMinutes: number; leaseWarnSeconds: number }) {
  return () => backlogSummary(db, options)
}
