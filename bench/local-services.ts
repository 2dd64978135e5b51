/**
 * A PostgreSQL and a Redis of the run's own, on free ports, started by scripts/services.sh into a
 * fresh folder, so that a fault run may freeze, kill and restart them. The machine's shared
 * servers (5432, 6379) are never touched: every signal goes to a pid read from this run's folder.
 */
import { execFile } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { PROJECT_ROOT } from '../src/paths.js'
import { freePort } from './processes.js'

const run = promisify(execFile)
const SERVICES = join(PROJECT_ROOT, 'scripts', 'services.sh')

export type LocalServices = Awaited<ReturnType<typeof startLocalServices>>

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Waits (bounded) for a pid to be gone. */
async function gone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!alive(pid)) return true
    await sleep(50)
  }
  return !alive(pid)
}

async function pidFrom(file: string): Promise<number | null> {
  const text = await readFile(file, 'utf8').catch(() => '')
  const pid = Number(text.split('\n')[0])
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : null
}

/** Starts both servers; `stop()` removes them and their folder. */
export async function startLocalServices() {
  // /var/tmp (not a 0700 mkdtemp under /tmp alone): as root, PostgreSQL runs as `postgres` and must enter it.
  const dir = await mkdtemp(join(process.getuid?.() === 0 ? '/var/tmp' : tmpdir(), 'bailanys-bench-'))
  await chmod(dir, 0o755)
  const [pgPort, redisPort] = [await freePort(), await freePort()]
  const databaseUrl = `postgres://postgres@127.0.0.1:${pgPort}/bailanys`
  const redisUrl = `redis://127.0.0.1:${redisPort}`
  const pgData = join(dir, `pg-${pgPort}`)
  const redisDir = join(dir, `redis-${redisPort}`)
  const env = { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, BAILANYS_SERVICES_DIR: dir }
  /** `services.sh up` starts whichever of the two does not answer, and leaves the other alone. */
  const services = (command: 'up' | 'down') =>
    run('bash', [SERVICES, command], { env, timeout: 120_000, cwd: PROJECT_ROOT }).then((r) => r.stdout.trim())
  let frozen: number | null = null
  const thawRedis = async () => {
    if (frozen !== null) process.kill(frozen, 'SIGCONT')
    frozen = null
  }

  const redisPid = () => pidFrom(join(redisDir, 'redis.pid'))
  const postgresPid = () => pidFrom(join(pgData, 'postmaster.pid'))
  const required = async (what: string, pid: Promise<number | null>) => {
    const n = await pid
    if (n === null) throw new Error(`the run's ${what} is not running`)
    return n
  }

  // Whatever way this process ends, the run's servers do not outlive it (the normal way is stop()).
  let stopped = false
  const lastResort = () => {
    if (stopped) return
    for (const [file, signal] of [
      [join(redisDir, 'redis.pid'), 'SIGKILL'],
      [join(pgData, 'postmaster.pid'), 'SIGQUIT'],
    ] as const) {
      let pid = 0
      try {
        pid = Number(readFileSync(file, 'utf8').split('\n')[0])
      } catch {
        // No pid file: that server is not running.
      }
      if (pid > 0 && alive(pid)) {
        process.kill(pid, 'SIGCONT')
        process.kill(pid, signal)
      }
    }
    rmSync(dir, { recursive: true, force: true })
  }
  process.on('exit', () => {
    try {
      lastResort()
    } catch {
      console.error(`the run's servers may still be running; their folder: ${dir}`)
    }
  })
  const startedLines = await services('up')
  return {
    dir,
    databaseUrl,
    redisUrl,
    startedLines,
    redisPid,
    postgresPid,
    /** SIGSTOP: the process keeps its connections but answers nothing (a hung Redis). */
    async freezeRedis() {
      frozen = await required('Redis', redisPid())
      process.kill(frozen, 'SIGSTOP')
    },
    thawRedis,
    /** kill -9, then its data files removed: it comes back empty (no persistence, or a failover). */
    async killRedis() {
      const pid = await required('Redis', redisPid())
      process.kill(pid, 'SIGKILL')
      if (!(await gone(pid, 10_000))) throw new Error(`Redis (pid ${pid}) survived SIGKILL`)
      for (const name of ['appendonlydir', 'appendonly.aof', 'dump.rdb', 'redis.pid'])
        await rm(join(redisDir, name), { recursive: true, force: true })
    },
    startRedis: () => services('up'),
    /** A fast shutdown (SIGINT to the postmaster: sessions are cut, nothing committed is lost). */
    async stopPostgres() {
      const pid = await required('PostgreSQL', postgresPid())
      process.kill(pid, 'SIGINT')
      if (!(await gone(pid, 60_000))) throw new Error(`PostgreSQL (pid ${pid}) did not stop within 60 s`)
    },
    startPostgres: () => services('up'),
    async stop() {
      await thawRedis()
      const out = await services('down').catch((err: Error) => `services.sh down failed: ${err.message}`)
      await rm(dir, { recursive: true, force: true }).catch(() => {})
      stopped = true
      return out
    },
  }
}
