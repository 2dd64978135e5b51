import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'

/** Loads the config, builds the app, closes it gracefully on SIGTERM/SIGINT, listens. */
async function main() {
  const config = loadConfig()
  const app = await buildApp(config)
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'closing after an error')
    else app.log.info({ signal }, 'closing')
    await app.close()
  })
  await app.listen({ port: config.PORT, host: config.HOST })
}

main().catch((err) => {
  // One clear line, then out: a misconfigured or unmigrated service must not half-start.
  console.error(err instanceof ConfigError ? err.message : `cannot start: ${err instanceof Error ? err.message : err}`)
  process.exit(1)
})
