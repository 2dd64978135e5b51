import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import t from 'tap'
import { login, PASSWORD } from '../accounts-helper.js'
import { build, testEnv, uniquePhone } from '../helper.js'

const run = promisify(execFile)

/**
 * Runs the admin CLI from its TypeScript source, with the loader this test runs under, against
 * the test's own schema: what `npm run admin -- …` runs once dist/ is built.
 */
async function admin(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, [...process.execArgv, 'src/cli/admin.ts', ...args], {
      env: testEnv(env),
    })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

t.test('create-coordinator says what it made and where to log in, and the login works', async (t) => {
  const { app, config } = await build(t)
  const env = { DATABASE_SCHEMA: config.DATABASE_SCHEMA, PUBLIC_BASE_URL: 'https://bailanys.example' }
  const phone = uniquePhone()
  const typed = `8 ${phone.slice(2, 5)} ${phone.slice(5)}`
  const args = ['create-coordinator', '--name', 'Айжан Серикова', '--phone', typed, '--password', PASSWORD]

  const made = await admin(args, env)
  t.equal(made.code, 0, made.stderr)
  const lines = made.stdout.trim().split('\n')
  t.equal(lines.length, 1, 'one line')
  t.match(
    lines[0],
    /^created coordinator account \d+ \(approved\): log in at https:\/\/bailanys\.example\/volunteer\/login with its phone and password; the dashboard is https:\/\/bailanys\.example\/coordinator$/,
  )
  t.notMatch(made.stdout, /Айжан|\d{3} \d{3}|\+7/, 'no name or phone in the output')
  const headers = await login(app, phone)
  const me = await app.inject({ method: 'GET', url: '/api/v1/me', headers })
  t.match(me.json(), { role: 'coordinator', status: 'approved' }, 'the login the line describes works')

  const again = await admin(args, env)
  t.equal(again.code, 1)
  t.equal(again.stderr.trim(), 'admin: an account with this phone or email exists already')
  t.equal(again.stdout, '')

  const withEmail = await admin(
    ['create-coordinator', '--name', 'B', '--phone', uniquePhone(), '--password', PASSWORD, '--email', 'b@example.org'],
    env,
  )
  t.match(withEmail.stdout, 'with its phone or email and password')
})

t.test('a wrong command line gets the problems and the usage, exit status 2, touching nothing', async (t) => {
  const env = { DATABASE_SCHEMA: 'no_such_schema_needed' }
  const bad = await admin(['create-coordinator', '--phone', '12345', '--password', 'short'], env)
  t.equal(bad.code, 2)
  t.match(bad.stderr, '--name is required; --phone is not a valid phone number; --password must be 10 to 200 characters')
  t.match(bad.stderr, 'usage: npm run admin -- create-coordinator')
  t.notMatch(bad.stderr, /\n\s+at /, 'no stack trace')

  const unknown = await admin(['create-coordinator', '--nmae', 'x'], env)
  t.equal(unknown.code, 2)
  t.match(unknown.stderr, /admin: Unknown option '--nmae'.*\nusage:/s)

  const help = await admin(['--help'], env)
  t.equal(help.code, 0)
  t.match(help.stdout, /^usage: npm run admin/)
})
