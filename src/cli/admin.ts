import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from '../config.js'
import { insertAccount } from '../db/account-repository.js'
import { assertMigrated } from '../db/migrations.js'
import { createPool } from '../db/pool.js'
import { Password } from '../schemas/accounts.js'
import { PhoneSchema, requiredText } from '../schemas/common.js'
import { hashPassword } from '../services/auth.js'

const USAGE = 'usage: npm run admin -- create-coordinator --name <name> --phone <phone> --password <password> [--email <email>]'

/** A mistake in the command line: told with the usage, exit status 2 as for any CLI misuse. */
class UsageError extends Error {}

/**
 * `npm run admin -- create-coordinator …`: the first coordinator, from the command line. Prints
 * what was made and where to log in; never the name, phone or email (terminals end up in logs).
 */
async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      phone: { type: 'string' },
      password: { type: 'string' },
      email: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) return console.log(USAGE)
  if (positionals[0] !== 'create-coordinator') throw new UsageError(USAGE)
  const name = requiredText(100).safeParse(values.name ?? '')
  const phone = PhoneSchema.safeParse(values.phone ?? '')
  const password = Password.safeParse(values.password ?? '')
  const bad = [
    !name.success && '--name is required',
    !phone.success && '--phone is not a valid phone number',
    !password.success && '--password must be 10 to 200 characters',
  ]
  if (!name.success || !phone.success || !password.success) throw new UsageError(`${bad.filter(Boolean).join('; ')}\n${USAGE}`)
  const config = loadConfig()
  const db = createPool({ ...config, DATABASE_POOL_SIZE: 1 })
  try {
    await assertMigrated(db)
    const account = await insertAccount(db, {
      role: 'coordinator',
      name: name.data,
      phone: phone.data.e164,
      email: values.email,
      passwordHash: await hashPassword(password.data),
      languages: ['kk', 'ru', 'en'],
      status: 'approved',
    })
    if (!account) throw new Error('an account with this phone or email exists already')
    const base = config.PUBLIC_BASE_URL.replace(/\/+$/, '')
    console.log(
      `created coordinator account ${account.id} (approved): log in at ${base}/volunteer/login with its phone` +
        `${values.email ? ' or email' : ''} and password; the dashboard is ${base}/coordinator`,
    )
  } finally {
    await db.end()
  }
}

main().catch((err) => {
  const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
  console.error(err instanceof ConfigError ? err.message : `admin: ${err instanceof Error ? err.message : err}`)
  if (usage && !(err instanceof UsageError)) console.error(USAGE)
  process.exit(usage ? 2 : 1)
})
