import { spawn } from 'node:child_process'
import t from 'tap'
import { type ConfigError, loadConfig } from '../src/config.js'
import { testConfig, testEnv } from './helper.js'

t.test('defaults fill in what is not set', async (t) => {
  const config = loadConfig({})
  t.match(config, {
    PORT: 3000,
    HOST: '127.0.0.1',
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/bailanys',
    REDIS_URL: 'redis://127.0.0.1:6379',
    LOG_LEVEL: 'info',
    RETENTION_DAYS: 30,
    TWILIO_BASE_URL: undefined,
  })
  t.equal(loadConfig({ PORT: '', RETENTION_DAYS: '7' }).PORT, 3000, 'an empty value counts as unset')
  t.equal(loadConfig({ RETENTION_DAYS: '7' }).RETENTION_DAYS, 7)
})

t.test('a malformed variable is named in one line', async (t) => {
  const table: [Record<string, string>, RegExp][] = [
    [{ PORT: 'eighty' }, /^invalid configuration: PORT /],
    [{ PORT: '70000' }, /PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be a postgres:\/\/ URL/],
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL/],
    [{ PUBLIC_BASE_URL: 'not a url' }, /PUBLIC_BASE_URL/],
    [{ TWILIO_ACCOUNT_SID: 'SK123' }, /TWILIO_ACCOUNT_SID must look like AC/],
    [{ TWILIO_BASE_URL: 'ftp://x' }, /TWILIO_BASE_URL/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ RETENTION_DAYS: '0' }, /RETENTION_DAYS/],
    [{ DATABASE_SCHEMA: 'Robert"); DROP' }, /DATABASE_SCHEMA/],
    [{ TRUST_PROXY: 'maybe' }, /TRUST_PROXY/],
  ]
  for (const [env, message] of table) {
    t.throws(() => loadConfig(env), { name: 'ConfigError', message }, JSON.stringify(env))
  }
  const err = t.throws(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' })) as ConfigError
  t.notMatch(err.message, '\n', 'one line even for several problems')
})

/** Runs an entry point with the test's TypeScript loader; resolves with its exit and output. */
function run(entry: string, env: Record<string, string>, onOutput?: (text: string, kill: () => void) => void) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, entry], { env: testEnv(env) })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
      onOutput?.(stdout, () => child.kill('SIGTERM'))
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

t.test('the server refuses to start on bad config with one clear line', async (t) => {
  const { code, stderr } = await run('src/server.ts', { DATABASE_URL: 'http://nope' })
  t.equal(code, 1)
  t.match(stderr.trim(), /^invalid configuration: DATABASE_URL must be a postgres:\/\/ URL$/)
  const workers = await run('workers/main.ts', { REDIS_URL: 'nope' })
  t.equal(workers.code, 1)
  t.match(workers.stderr.trim(), /^invalid configuration: REDIS_URL/)
})

t.test('the server refuses to start on a database that is behind', async (t) => {
  const schema = `t_behind_${process.pid}`
  const { code, stderr } = await run('src/server.ts', { DATABASE_SCHEMA: schema, PORT: '0' })
  t.equal(code, 1)
  t.match(stderr, /database is behind \(pending migrations: 0001_requests, 0002_phone_channel, [^)]*\): run npm run migrate/)
})

t.test('the server starts, serves and drains on SIGTERM', async (t) => {
  const config = await testConfig(t)
  let answered = 0
  const { code, stdout } = await run(
    'src/server.ts',
    { DATABASE_SCHEMA: config.DATABASE_SCHEMA, BULLMQ_PREFIX: config.BULLMQ_PREFIX, PORT: '0', LOG_LEVEL: 'info' },
    (out, kill) => {
      const listening = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (listening && answered === 0) {
        answered = -1
        fetch(`${listening[1]}/healthz`).then((res) => {
          answered = res.status
          kill()
        })
      }
    },
  )
  t.equal(answered, 200)
  t.equal(code, 0, 'exits cleanly')
  t.match(stdout, /"signal":"SIGTERM","msg":"closing"/)
})

t.test('.env.example lists every variable with its default', async (t) => {
  const { readFile } = await import('node:fs/promises')
  const { ConfigSchema } = await import('../src/config.js')
  const lines = (await readFile(new URL('../.env.example', import.meta.url), 'utf8')).split('\n')
  const example = Object.fromEntries(
    lines.filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  )
  t.same(Object.keys(example).sort(), Object.keys(ConfigSchema.shape).sort())
  const defaults = loadConfig({})
  for (const [key, value] of Object.entries(example)) {
    const fallback = defaults[key as keyof typeof defaults]
    t.equal(value, fallback === undefined ? '' : String(fallback), key)
  }
})

t.test('the worker process starts its relay and closes on SIGTERM', async (t) => {
  const config = await testConfig(t)
  let killed = false
  const { code, stdout, stderr } = await run(
    'workers/main.ts',
    { DATABASE_SCHEMA: config.DATABASE_SCHEMA, BULLMQ_PREFIX: config.BULLMQ_PREFIX, LOG_LEVEL: 'info' },
    (out, kill) => {
      if (out.includes('workers started') && !killed) {
        killed = true
        kill()
      }
    },
  )
  t.equal(code, 0, `exits cleanly ${stderr}`)
  t.match(stdout, /"signal":"SIGTERM","msg":"closing"/)
})
