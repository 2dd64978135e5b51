import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import t, { type Test } from 'tap'
import { waitFor } from '../helper.js'

const require = createRequire(import.meta.url)
const closeWithGrace = pathToFileURL(require.resolve('close-with-grace')).href
const supervise = pathToFileURL(resolve('scripts/supervise.mjs')).href

/**
 * A stand-in for the API or the worker: it stops the way they do (close-with-grace, which exits
 * at once on a second signal), logs "closing" once, and takes a while to drain — long enough for a
 * duplicate signal to cut the drain short. With CRASH set it dies by itself once ready.
 */
const CHILD = `import closeWithGrace from '${closeWithGrace}'
const name = process.env.NAME
closeWithGrace({ delay: 5000 }, async ({ signal }) => {
  console.log(name + ' closing ' + signal)
  await new Promise((r) => setTimeout(r, 400))
  console.log(name + ' drained')
})
setInterval(() => {}, 1000)
// Never outlives a failed test by long (it is in a process group of its own).
setTimeout(() => process.exit(9), 30_000).unref()
console.log(name + ' ready')
if (process.env.CRASH === name) setTimeout(() => process.exit(3), 100)
`

interface Run {
  runner: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

/** `node scripts/start.mjs`-like: supervise.mjs running two children, as start.mjs runs the API and the worker. */
async function start(t: Test, env: Record<string, string> = {}): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), 'bailanys-start-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  // The name is written into each child's file: supervise() passes no arguments.
  for (const name of ['api', 'worker']) await writeFile(join(dir, `${name}.mjs`), CHILD.replace('process.env.NAME', `'${name}'`))
  const main = `import { supervise } from '${supervise}'\nsupervise(${JSON.stringify([join(dir, 'api.mjs'), join(dir, 'worker.mjs')])})\n`
  await writeFile(join(dir, 'start.mjs'), main)
  // Its own process group, as a terminal or a supervisor gives it: signals go to the group.
  const runner = spawn(process.execPath, [join(dir, 'start.mjs')], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  })
  let text = ''
  runner.stdout?.on('data', (chunk) => (text += chunk))
  runner.stderr?.on('data', (chunk) => (text += chunk))
  const exited = new Promise<number | null>((done) => runner.on('exit', (code) => done(code)))
  t.teardown(() => {
    if (runner.exitCode === null) process.kill(-(runner.pid as number), 'SIGKILL')
  })
  await waitFor('both children ready', async () => /api ready/.test(text) && /worker ready/.test(text), 10_000)
  return { runner, output: () => text, exited }
}

const count = (text: string, pattern: RegExp) => (text.match(new RegExp(pattern, 'g')) ?? []).length

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`${signal} to the process group: each child drains once, and all exit cleanly`, async (t) => {
    const run = await start(t)
    process.kill(-(run.runner.pid as number), signal)
    t.equal(await run.exited, 0, 'a clean exit')
    const out = run.output()
    for (const name of ['api', 'worker']) {
      t.equal(count(out, new RegExp(`${name} closing ${signal}`)), 1, `${name}: one "closing" line`)
      t.equal(count(out, new RegExp(`${name} drained`)), 1, `${name}: drained`)
    }
    t.notMatch(out, /second SIG/, 'no child was cut short by a second signal')
  })
}

t.test('a repeated signal (npm forwards the terminal’s again) is not passed on', async (t) => {
  const run = await start(t)
  process.kill(-(run.runner.pid as number), 'SIGINT')
  process.kill(run.runner.pid as number, 'SIGINT')
  process.kill(run.runner.pid as number, 'SIGTERM')
  t.equal(await run.exited, 0)
  const out = run.output()
  t.equal(count(out, /closing/), 2, 'one "closing" per child')
  t.equal(count(out, /drained/), 2)
  t.notMatch(out, /second SIG/)
})

t.test('SIGTERM to the start process alone stops the children too', async (t) => {
  const run = await start(t)
  process.kill(run.runner.pid as number, 'SIGTERM')
  t.equal(await run.exited, 0)
  t.equal(count(run.output(), /drained/), 2)
})

t.test('a child that dies stops the other, and the exit code says so', async (t) => {
  const run = await start(t, { CRASH: 'api' })
  t.equal(await run.exited, 3, "the failed child's exit code")
  const out = run.output()
  t.match(out, /api\.mjs exited \(3\), stopping the others/)
  t.equal(count(out, /worker closing SIGTERM/), 1)
  t.equal(count(out, /worker drained/), 1)
})
