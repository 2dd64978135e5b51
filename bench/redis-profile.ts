/**
 * Counts the Redis commands the API sends per call, from Redis MONITOR: before each call the
 * benchmark sends `ECHO bench-mark:<label>` on its own connection and waits for the answer, so
 * every command Redis ran between two marks belongs to the call in flight (the calls run one at a
 * time). Only commands on the keys given (the checkins queues' keys under the run's prefix)
 * count, so the worker process's own traffic (the relay adding notify jobs, the notify worker)
 * stays out; BullMQ's Lua scripts are named from their SHA. Commands that the scripts run inside Redis are counted apart: they cost
 * Redis time, not round trips. MONITOR slows Redis down, so the benchmark times nothing while it
 * runs.
 */
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'

const MARK = 'bench-mark:'

/** SHA1 of each BullMQ script → its name (ioredis sends EVALSHA with the SHA1 of the source). */
function bullScriptNames(): Map<string, string> {
  const names = new Map<string, string>()
  try {
    const require = createRequire(import.meta.url)
    const scripts = require('bullmq/dist/cjs/scripts/index.js') as Record<string, { name?: string; content?: string }>
    for (const s of Object.values(scripts)) {
      if (s?.name && s.content) names.set(createHash('sha1').update(s.content).digest('hex'), s.name)
    }
  } catch {
    // Unnamed scripts show as their SHA prefix.
  }
  return names
}

export type CallProfile = {
  calls: number
  /** Mean commands per call sent by a client (each one a round trip unless pipelined). */
  commandsPerCall: number
  /** Mean per call, by command (EVALSHA by script name). */
  byCommand: Record<string, number>
  /** Mean commands per call run inside Lua scripts. */
  insideScriptsPerCall: number
}

export type RedisProfile = Record<string, CallProfile>

type Event = { args: string[]; source: string }

export async function startRedisProfile(redisUrl: string, keyPart: string) {
  const names = bullScriptNames()
  const marker = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true })
  const watcher = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true })
  marker.on('error', () => {})
  watcher.on('error', () => {})
  await marker.connect()
  // monitor() opens a connection of its own, a copy of this one's settings.
  const monitor = await watcher.monitor()
  monitor.on('error', () => {})
  const events: Event[] = []
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (args[0]?.toLowerCase() === 'echo' && args[1]?.startsWith(MARK)) events.push({ args, source: 'mark' })
    else if (args.some((a) => a.includes(keyPart))) events.push({ args, source })
  })

  const label = (args: string[]) => {
    const command = (args[0] ?? '?').toLowerCase()
    if (command !== 'evalsha') return command
    const sha = args[1] ?? ''
    return `evalsha ${names.get(sha) ?? sha.slice(0, 8)}`
  }

  return {
    /** Marks the start of a call of this kind (claim, outcome…). */
    async mark(kind: string) {
      await marker.echo(`${MARK}${kind}`)
    },
    /** Stops watching; the mean commands per call of each kind. */
    async stop(): Promise<RedisProfile> {
      await marker.echo(`${MARK}end`)
      // The monitor stream runs a little behind: wait (bounded) for the end mark.
      for (let i = 0; i < 50 && !events.some((e) => e.source === 'mark' && e.args[1] === `${MARK}end`); i++) await sleep(100)
      monitor.disconnect()
      watcher.disconnect()
      marker.disconnect()
      const totals: Record<string, { calls: number; commands: number; inside: number; by: Record<string, number> }> = {}
      let current: (typeof totals)[string] | undefined
      for (const e of events) {
        if (e.source === 'mark') {
          const kind = (e.args[1] ?? '').slice(MARK.length)
          if (kind === 'end') break
          current = totals[kind] ??= { calls: 0, commands: 0, inside: 0, by: {} }
          current.calls++
          continue
        }
        if (!current) continue
        if (e.source === 'lua') {
          current.inside++
          continue
        }
        const name = label(e.args)
        // The worker process's stalled-job check runs on its own timer, not for any call.
        if (name === 'evalsha moveStalledJobsToWait') continue
        current.commands++
        current.by[name] = (current.by[name] ?? 0) + 1
      }
      const mean = (n: number, calls: number) => Math.round((n / Math.max(1, calls)) * 100) / 100
      return Object.fromEntries(
        Object.entries(totals).map(([kind, t]) => [
          kind,
          {
            calls: t.calls,
            commandsPerCall: mean(t.commands, t.calls),
            byCommand: Object.fromEntries(
              Object.entries(t.by)
                .sort((a, b) => b[1] - a[1])
                .map(([k, v]) => [k, mean(v, t.calls)]),
            ),
            insideScriptsPerCall: mean(t.inside, t.calls),
          },
        ]),
      )
    },
    /** On an error path: just close the connections. */
    close() {
      monitor.disconnect()
      watcher.disconnect()
      marker.disconnect()
    },
  }
}
